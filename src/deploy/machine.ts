import type { Decision, Effect, Run, RunEvent, Step, StepName } from './types.js';

const STEPS_PER_ENVIRONMENT: readonly StepName[] = ['preflight', 'apply'];

/** The steps of a run that deploys to `envs` in order. */
export function planSteps(envs: readonly string[]): Step[] {
  return envs.flatMap((env) =>
    STEPS_PER_ENVIRONMENT.map((name) => ({ env, name, status: 'pending' as const })),
  );
}

/** The environments a run goes to: the first one, or every one up to and including `to`. */
export function environmentsFor(
  all: readonly string[],
  to: string | undefined,
): { ok: true; envs: string[] } | { ok: false; refused: string } {
  if (all.length === 0) return { ok: false, refused: 'deploy.yml lists no environments.' };
  if (to === undefined) return { ok: true, envs: [all[0]!] };
  if (!all.includes(to))
    return {
      ok: false,
      refused: `There is no environment "${to}". Environments in deploy.yml: ${all.join(', ')}.`,
    };
  // Until approval gates exist a run goes to one environment: the one named.
  return { ok: true, envs: [to] };
}

function withStep(run: Run, index: number, patch: Partial<Step>): Step[] {
  return run.steps.map((s, i) => (i === index ? { ...s, ...patch } : s));
}

function finish(run: Run, steps: Step[], status: Run['status'], at: string, reason?: string): Decision {
  const closed = steps.map((s) =>
    s.status === 'pending' || s.status === 'running' ? { ...s, status: 'skipped' as const } : s,
  );
  // Saving a run that is no longer running releases its environments in the same transaction.
  const effects: Effect[] = [{ type: 'renderCard' }];
  return {
    ok: true,
    next: { ...run, steps: closed, status, finishedAt: at, reason, version: run.version + 1 },
    effects,
  };
}

/** Every transition of a run lives here. The caller passes the time; nothing here does I/O. */
export function decide(run: Run, event: RunEvent): Decision {
  if (run.status !== 'running')
    return { ok: false, refused: `Run #${run.id} has already ${describeEnd(run)}.` };
  const current = run.steps.findIndex((s) => s.status === 'running');
  switch (event.type) {
    case 'begin': {
      if (current !== -1 || run.steps.some((s) => s.status !== 'pending'))
        return { ok: false, refused: `Run #${run.id} has already begun.` };
      if (run.steps.length === 0) return finish(run, [], 'succeeded', event.at);
      return {
        ok: true,
        next: {
          ...run,
          steps: withStep(run, 0, { status: 'running', startedAt: event.at }),
          version: run.version + 1,
        },
        effects: [{ type: 'renderCard' }, { type: 'runStep', index: 0 }],
      };
    }
    case 'stepSucceeded':
    case 'stepFailed': {
      if (event.index !== current)
        return { ok: false, refused: `Step ${event.index + 1} of run #${run.id} is not running.` };
      const ok = event.type === 'stepSucceeded';
      const steps = withStep(run, current, {
        status: ok ? 'succeeded' : 'failed',
        finishedAt: event.at,
        durationMs: event.durationMs,
        summary: event.summary,
      });
      if (!ok) return finish(run, steps, 'failed', event.at, event.reason);
      const nextIndex = current + 1;
      if (nextIndex >= steps.length) return finish(run, steps, 'succeeded', event.at);
      steps[nextIndex] = { ...steps[nextIndex]!, status: 'running', startedAt: event.at };
      return {
        ok: true,
        next: { ...run, steps, version: run.version + 1 },
        effects: [{ type: 'renderCard' }, { type: 'runStep', index: nextIndex }],
      };
    }
    case 'interrupted': {
      const steps =
        current === -1
          ? [...run.steps]
          : withStep(run, current, { status: 'failed', finishedAt: event.at, summary: 'interrupted' });
      return finish(
        run,
        steps,
        'failed',
        event.at,
        'The bot stopped while this run was in progress. The ledger in the target records what was applied; start the run again to continue.',
      );
    }
  }
}

export function describeEnd(run: Run): string {
  switch (run.status) {
    case 'succeeded':
      return 'finished';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'been cancelled';
    default:
      return 'not ended';
  }
}
