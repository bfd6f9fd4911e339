/**
 * The run report of a run of several services (deploy.yml `services:`): each service's steps read as a place of
 * their own ("staging · community": its section, its rows), and the files they applied are named `service/file`,
 * as the run's checksums key them, so each file's sha256 is found. Pure; a run of one database is left as it is.
 */
import type { StepResult, StepResults } from './step-results.js';
import type { Run } from './types.js';

const place = (env: string, service?: string) => (service ? `${env} · ${service}` : env);

type Named = { id: string; file?: string };
const named = <T extends Named>(service: string, f: T): T => ({
  ...f,
  id: `${service}/${f.id}`,
  file: `${service}/${f.file ?? `${f.id}.sql`}`,
});

function relabel(r: StepResult): StepResult {
  if (!r.service) return r;
  const { service } = r;
  const env = place(r.env, service);
  const result = r.result as { files?: Named[]; failure?: Named } & object;
  const files = Array.isArray(result.files) ? { files: result.files.map((f) => named(service, f)) } : {};
  const failure = result.failure ? { failure: named(service, result.failure) } : {};
  return { ...r, env, result: { ...r.result, ...files, ...failure } } as StepResult;
}

export function servicesForReport(
  run: Run,
  results: StepResults,
  plans: Readonly<Record<string, string>>,
): { run: Run; results: StepResults; plans: Record<string, string> } {
  if (!run.steps.some((s) => s.service)) return { run, results, plans: { ...plans } };
  const steps = run.steps.map((s) => (s.service ? { ...s, env: place(s.env, s.service) } : s));
  const labelled = { ...plans };
  for (const s of run.steps) if (s.service && plans[s.env]) labelled[place(s.env, s.service)] = plans[s.env]!;
  return {
    run: { ...run, steps },
    results: new Map([...results].map(([i, r]) => [i, relabel(r)])),
    plans: labelled,
  };
}
