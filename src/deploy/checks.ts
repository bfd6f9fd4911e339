/** Declarative checks: validate a check file (or deploy.yml's checks) and compile each check to its plan. Pure. */
import { compile } from './catalog-checks.js';
import { type Check, checksFileSchema, KIND_NAMES, type KindName, type ParsedCheck } from './check-schema.js';
import { evaluate, type QueryResult, type Verdict } from './expectations.js';

/** Which kind a (valid) check is: exactly one kind key is present. */
function kindOf(c: ParsedCheck): KindName {
  return KIND_NAMES.find((k) => c[k as keyof ParsedCheck] !== undefined)!;
}

const timeoutMs = (t: ParsedCheck['timeout']) =>
  t === undefined
    ? undefined
    : typeof t === 'number'
      ? t
      : Number.parseInt(t, 10) * (t.endsWith('ms') ? 1 : t.endsWith('m') ? 60_000 : 1000);

/** Validate checks (from a file or deploy.yml); every problem at once, each with its source and path. */
export function parseChecks(
  raw: unknown,
  source: string,
): { ok: true; checks: Check[] } | { ok: false; problems: string[] } {
  const parsed = checksFileSchema.safeParse(raw ?? []);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => {
        const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        const detail =
          i.code === 'unrecognized_keys'
            ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`
            : i.message;
        return `${source}${path}: ${detail}`;
      }),
    };
  return {
    ok: true,
    checks: parsed.data.map((c, i) => {
      const { kind, plan } = compile(c, kindOf(c));
      return {
        name: c.name,
        kind,
        severity: c.severity,
        timeoutMs: timeoutMs(c.timeout),
        source: `${source}[${i}]`,
        plan,
      };
    }),
  };
}

/** Judge a catalog query's single row. */
export function judgeCatalog(target: string, row: { ok: boolean; actual: string } | undefined): Verdict {
  return { pass: !!row?.ok, target, actual: row?.actual ?? 'missing' };
}

export { type CheckResult, type CheckSummary, summarize } from './check-results.js';
export { evaluate, type QueryResult, type Verdict };
