/** Table tests of runs with deploy.yml services: (community, marketplace, academy): a plan, a context, and walking it. */
import type { Context, Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent, Step } from '../../src/deploy/types.js';
import { testContext } from './context.js';

export const T0 = '2026-11-21T10:00:00.000Z';
export const T1 = '2026-11-21T10:01:00.000Z';
export const T2 = '2026-11-21T10:20:00.000Z';
export const SERVICES = ['community', 'marketplace', 'academy'];
export const STAGES = ['technical', 'business', 'go/no-go'];

export const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
/** A step as one line: where, what, and (when set) its stage and purpose. */
export const line = (s: Step) =>
  [
    s.env,
    s.service ?? '·',
    s.name + (s.stage ? `(${s.stage})` : '') + (s.purpose ? `/${s.purpose}` : ''),
  ].join(' ');
export const at = (run: Run, status: Step['status']) =>
  run.steps.flatMap((s, i) => (s.status === status ? [i] : []));

const base = testContext({ gated: (env) => env === 'production' });
/** production is gated in three stages (technical → business → go/no-go); staging is not. */
export const ctx: Context = {
  ...base,
  policy: { ...base.policy, stages: (env: string) => (env === 'production' ? STAGES : []) },
};
export const runOf = (steps: Step[]): Run => ({
  id: 14,
  migration: 'release',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps,
  checksums: Object.fromEntries(SERVICES.map((s) => [`${s}/001_${s}`, `sha-${s}`])),
  version: 0,
  createdAt: T0,
});
export const staging = { name: 'staging', gated: false, monitored: true };
export const production = { name: 'production', gated: true, stages: STAGES, monitored: true };
export const done = (index: number, extra: Partial<RunEvent> = {}): RunEvent =>
  ({ type: 'stepSucceeded', index, at: T1, durationMs: 5, summary: 'ok', ...extra }) as RunEvent;
export const monitorDone = (index: number): RunEvent => ({
  type: 'monitorDone',
  index,
  at: T2,
  summary: 'monitor 3/3',
});
/** Feed events one by one; each must be accepted. */
export const walk = (run: Run, events: readonly RunEvent[], c: Context = ctx) =>
  events.reduce((r, e) => ok(decide(r, e, c)).next, run);
/** Every step of a run that is running succeeds, in order, until nothing runs (a gate waits, monitors watch). */
export function untilIdle(
  run: Run,
  c: Context = ctx,
  extra: (i: number) => Partial<RunEvent> = () => ({}),
): Run {
  let r = run;
  for (let i = r.steps.findIndex((s) => s.status === 'running'); i !== -1; ) {
    r = ok(decide(r, done(i, extra(i)), c)).next;
    i = r.steps.findIndex((s) => s.status === 'running');
  }
  return r;
}
export const begun = (envs: Parameters<typeof planSteps>[0]) =>
  walk(runOf(planSteps(envs, 'deploy', SERVICES)), [{ type: 'begin', at: T0 }]);
