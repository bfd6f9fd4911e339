/** The moves every part of decide() shares: change a step, start the next one, end the run. Pure. */
import type { Decision, Effect, Policy } from './decision.js';
import type { Run, Step } from './types.js';

const at = (ms: number) => new Date(ms).toISOString();

export function withStep(run: Run, index: number, patch: Partial<Step>): Step[] {
  return run.steps.map((s, i) => (i === index ? { ...s, ...patch } : s));
}

/** The same run, one version on, with `patch`: a change that stays inside the run. */
export function changed(run: Run, patch: Partial<Run>, effects: Effect[]): Decision {
  return { ok: true, next: { ...run, ...patch, version: run.version + 1 }, effects };
}

export function finish(
  run: Run,
  steps: Step[],
  status: Run['status'],
  when: string,
  reason?: string,
  by?: string,
): Decision {
  const open = run.steps.findIndex(
    (s) => s.name === 'approval' && (s.status === 'waiting' || s.status === 'scheduled'),
  );
  const closed = steps.map((s) =>
    ['pending', 'running', 'waiting', 'scheduled'].includes(s.status)
      ? { ...s, status: 'skipped' as const }
      : s,
  );
  // Saving a run that is no longer running releases its environments in the same transaction.
  const effects: Effect[] = [{ type: 'renderCard' }, { type: 'report' }];
  if (open !== -1) effects.push({ type: 'renderGate', index: open });
  return changed(run, { steps: closed, status, finishedAt: when, reason, endedBy: by }, effects);
}

/** Start step `index` (or end the run when there is none). */
export function enter(
  run: Run,
  steps: Step[],
  index: number,
  when: string,
  policy: Policy,
  extra: Effect[] = [],
): Decision {
  if (index >= steps.length) return finish(run, steps, 'succeeded', when);
  const step = steps[index]!;
  const ms = Date.parse(when);
  if (step.name === 'approval') {
    steps[index] = {
      ...step,
      status: 'waiting',
      startedAt: when,
      expiresAt: at(ms + policy.gateTtlMs(step.env)),
      remindAt: at(ms + policy.remindEveryMs(step.env)),
      reminders: 0,
    };
    return changed(run, { steps }, [...extra, { type: 'renderCard' }, { type: 'openGate', index }]);
  }
  if (step.name === 'monitor') {
    // With services, the monitor steps of one environment's services that follow it watch at the same time.
    const together: number[] = [];
    // (A service with nothing to apply has its monitor skipped: the ones after it start all the same.)
    for (let k = index; steps[k]?.name === 'monitor' && steps[k]!.env === step.env; k++) {
      if (steps[k]!.status !== 'pending') continue;
      steps[k] = { ...steps[k]!, status: 'watching', startedAt: when };
      together.push(k);
    }
    return changed(run, { steps }, [
      ...extra,
      ...together.map((k) => ({ type: 'startMonitor' as const, index: k })),
      { type: 'renderCard' },
    ]);
  }
  steps[index] = { ...step, status: 'running', startedAt: when };
  return changed(run, { steps }, [...extra, { type: 'renderCard' }, { type: 'runStep', index }]);
}

/** The first pending step after `index` (or past the end: the run is done). */
export function nextPending(steps: readonly Step[], index: number): number {
  const i = steps.findIndex((s, k) => k > index && s.status === 'pending');
  return i === -1 ? steps.length : i;
}

/** A gate's rules hold (and its window is open): it closes as approved and the next step starts. */
export function passGate(run: Run, index: number, when: string, policy: Policy): Decision {
  const steps = withStep(run, index, {
    status: 'succeeded',
    finishedAt: when,
    summary: 'approved',
    remindAt: undefined,
  });
  return enter(run, steps, nextPending(steps, index), when, policy, [{ type: 'renderGate', index }]);
}

/** The step working, waiting or watching now (-1: none). */
export function currentStep(run: Run): number {
  return run.steps.findIndex((s) =>
    ['running', 'waiting', 'scheduled', 'blocked', 'watching'].includes(s.status),
  );
}

/**
 * Whether step `index` is the current one, in one of `statuses`. The monitor steps of one environment's services
 * watch together: each of them is current while they do.
 */
export function isCurrent(run: Run, index: number, ...statuses: Step['status'][]): boolean {
  const step = run.steps[index];
  if (!step || !statuses.includes(step.status)) return false;
  const current = currentStep(run);
  if (index === current) return true;
  return step.status === 'watching' && current !== -1 && watchingTogether(run.steps, current).includes(index);
}

/** The monitor steps watching together with step `index` (itself included), in order. */
export function watchingTogether(steps: readonly Step[], index: number): number[] {
  const step = steps[index];
  if (step?.name !== 'monitor' || step.status !== 'watching') return [];
  let first = index;
  while (first > 0 && steps[first - 1]!.name === 'monitor' && steps[first - 1]!.env === step.env) first--;
  const out: number[] = [];
  for (let k = first; steps[k]?.name === 'monitor' && steps[k]!.env === step.env; k++)
    if (steps[k]!.status === 'watching') out.push(k);
  return out;
}

/**
 * A rollback (or the restore it offered) of step `index` is over: the next service's rollback of the same
 * rollback goes on (deploy.yml `services:`), or the run ends rolled back.
 */
export function rollbackGoesOn(
  run: Run,
  steps: Step[],
  index: number,
  when: string,
  policy: Policy,
  /** How the run ends when this was its last rollback (default: as the rollback was asked for). */
  end: { reason?: string; by?: string } = { reason: run.reason, by: run.endedBy },
): Decision {
  const next = steps.findIndex(
    (s, k) => k > index && s.status === 'pending' && s.purpose === 'rollback' && s.name === 'rollback',
  );
  if (next !== -1) return enter(run, steps, next, when, policy);
  return finish(run, steps, 'rolled_back', when, end.reason, end.by);
}
