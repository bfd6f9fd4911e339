import { describeEnd, rollbackSteps } from './plan.js';
import type { Decision, Effect, Policy, Run, RunEvent, Step } from './types.js';

const at = (ms: number) => new Date(ms).toISOString();

function withStep(run: Run, index: number, patch: Partial<Step>): Step[] {
  return run.steps.map((s, i) => (i === index ? { ...s, ...patch } : s));
}

function finish(
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
  return {
    ok: true,
    next: { ...run, steps: closed, status, finishedAt: when, reason, endedBy: by, version: run.version + 1 },
    effects,
  };
}

/** Start step `index` (or end the run when there is none). */
function enter(
  run: Run,
  steps: Step[],
  index: number,
  when: string,
  policy: Policy,
  extra: Effect[] = [],
): Decision {
  if (index >= steps.length) return finish(run, steps, 'succeeded', when);
  const step = steps[index]!;
  if (step.name === 'approval') {
    steps[index] = {
      ...step,
      status: 'waiting',
      startedAt: when,
      expiresAt: at(Date.parse(when) + policy.gateTtlMs(step.env)),
    };
    return {
      ok: true,
      next: { ...run, steps, version: run.version + 1 },
      effects: [...extra, { type: 'renderCard' }, { type: 'openGate', index }],
    };
  }
  if (step.name === 'monitor') {
    steps[index] = { ...step, status: 'watching', startedAt: when };
    return {
      ok: true,
      next: { ...run, steps, version: run.version + 1 },
      effects: [...extra, { type: 'startMonitor', index }, { type: 'renderCard' }],
    };
  }
  steps[index] = { ...step, status: 'running', startedAt: when };
  return {
    ok: true,
    next: { ...run, steps, version: run.version + 1 },
    effects: [...extra, { type: 'renderCard' }, { type: 'runStep', index }],
  };
}

const SKIP_WHEN_NOTHING = new Set<Step['name']>(['approval', 'apply', 'monitor']);

/** The first pending step after `index` (or past the end: the run is done). */
function nextPending(steps: readonly Step[], index: number): number {
  const i = steps.findIndex((s, k) => k > index && s.status === 'pending');
  return i === -1 ? steps.length : i;
}

/** A gate's rules hold (and its window is open): it closes as approved and the next step starts. */
function passGate(run: Run, index: number, when: string, policy: Policy): Decision {
  const steps = withStep(run, index, { status: 'succeeded', finishedAt: when, summary: 'approved' });
  return enter(run, steps, nextPending(steps, index), when, policy, [{ type: 'renderGate', index }]);
}

/** Every transition of a run lives here. The caller passes the time and the policy; nothing here does I/O. */
export function decide(run: Run, event: RunEvent, policy: Policy): Decision {
  if (run.status !== 'running') return { ok: false, refused: describeEnd(run) };
  const current = run.steps.findIndex((s) =>
    ['running', 'waiting', 'scheduled', 'blocked', 'watching'].includes(s.status),
  );
  const isCurrent = (index: number, ...statuses: Step['status'][]) =>
    index === current && statuses.includes(run.steps[index]!.status);
  switch (event.type) {
    case 'begin':
      if (run.steps.some((s) => s.status !== 'pending'))
        return { ok: false, refused: `Run #${run.id} has already begun.` };
      return enter(run, [...run.steps], 0, event.at, policy);
    case 'stepSucceeded':
    case 'stepFailed': {
      if (!isCurrent(event.index, 'running'))
        return { ok: false, refused: `Step ${event.index + 1} of run #${run.id} is not running.` };
      const ok = event.type === 'stepSucceeded';
      const steps = withStep(run, event.index, {
        status: ok ? 'succeeded' : 'failed',
        finishedAt: event.at,
        durationMs: event.durationMs,
        summary: event.summary,
      });
      const step = run.steps[event.index]!;
      if (
        event.type === 'stepFailed' &&
        (step.name === 'verify' || (step.name === 'apply' && event.partial))
      ) {
        // Verification failed: the change is in; a person decides to roll back, re-run, or cancel.
        const held = withStep(run, event.index, {
          status: 'blocked',
          finishedAt: event.at,
          durationMs: event.durationMs,
          summary: event.summary,
        });
        return {
          ok: true,
          next: { ...run, steps: held, reason: event.reason, version: run.version + 1 },
          effects: [{ type: 'renderCard' }],
        };
      }
      if (event.type === 'stepFailed') return finish(run, steps, 'failed', event.at, event.reason);
      if (event.type === 'stepSucceeded' && event.nothingToApply && step.name === 'preflight') {
        // Nothing of this run is pending here: no gate opens, nothing is applied, nothing changed to watch.
        for (const [i, s] of steps.entries())
          if (i > event.index && s.env === step.env && !s.purpose && SKIP_WHEN_NOTHING.has(s.name))
            steps[i] = { ...s, status: 'skipped', summary: `nothing to apply on ${s.env}` };
        return enter(run, steps, nextPending(steps, event.index), event.at, policy);
      }
      if (step.name === 'rollback')
        return finish(run, steps, 'rolled_back', event.at, run.reason, run.endedBy);
      return enter(run, steps, nextPending(steps, event.index), event.at, policy);
    }
    case 'gateApproved': {
      if (!isCurrent(event.index, 'waiting'))
        return { ok: false, refused: 'This gate is not waiting for approvals.' };
      if (event.resumeAt && event.resumeAt > event.at) {
        const steps = withStep(run, event.index, { status: 'scheduled', resumeAt: event.resumeAt });
        return {
          ok: true,
          next: { ...run, steps, version: run.version + 1 },
          effects: [{ type: 'renderCard' }, { type: 'renderGate', index: event.index }],
        };
      }
      return passGate(run, event.index, event.at, policy);
    }
    case 'windowOpened': {
      if (!isCurrent(event.index, 'scheduled'))
        return { ok: false, refused: 'This gate is not waiting for its window.' };
      return passGate(run, event.index, event.at, policy);
    }
    case 'gateRejected': {
      if (!isCurrent(event.index, 'waiting', 'scheduled'))
        return { ok: false, refused: 'This gate is no longer open.' };
      const steps = withStep(run, event.index, {
        status: 'failed',
        finishedAt: event.at,
        summary: 'rejected',
      });
      return finish(run, steps, 'rejected', event.at, event.reason, event.by);
    }
    case 'gateExpired': {
      if (!isCurrent(event.index, 'waiting'))
        return { ok: false, refused: 'This gate is not waiting for approvals.' };
      const steps = withStep(run, event.index, {
        status: 'failed',
        finishedAt: event.at,
        summary: 'expired',
      });
      return finish(
        run,
        steps,
        'expired',
        event.at,
        `Nobody approved ${run.steps[event.index]!.env} in time.`,
      );
    }
    case 'rerunVerify': {
      if (!isCurrent(event.index, 'blocked') || run.steps[event.index]!.name !== 'verify')
        return { ok: false, refused: 'Verification is not waiting to be re-run.' };
      const steps = withStep(run, event.index, {
        status: 'running',
        startedAt: event.at,
        finishedAt: undefined,
        summary: undefined,
      });
      return {
        ok: true,
        next: { ...run, steps, reason: undefined, version: run.version + 1 },
        effects: [{ type: 'renderCard' }, { type: 'runStep', index: event.index }],
      };
    }
    case 'monitorDone': {
      if (!isCurrent(event.index, 'watching'))
        return { ok: false, refused: 'That monitor step is not watching.' };
      const steps = withStep(run, event.index, {
        status: 'succeeded',
        finishedAt: event.at,
        summary: event.summary,
      });
      return enter(run, steps, nextPending(steps, event.index), event.at, policy);
    }
    case 'rollbackRequested': {
      if (!isCurrent(event.index, 'blocked', 'watching'))
        return {
          ok: false,
          refused:
            'There is nothing to roll back now: the run is not holding after verification or watching.',
        };
      const env = run.steps[event.index]!.env;
      // The verify step stays failed; the rest of the deploy is skipped; rollback steps follow it.
      const before = run.steps
        .slice(0, event.index + 1)
        .map((s, i) => (i === event.index ? { ...s, status: 'failed' as const } : s));
      const after = run.steps.slice(event.index + 1).map((s) => ({ ...s, status: 'skipped' as const }));
      const steps = [...before, ...rollbackSteps(env, policy.gated(env) && !event.automatic), ...after];
      const next = { ...run, reason: event.reason, endedBy: event.by };
      return enter(next, steps, event.index + 1, event.at, policy);
    }
    case 'resumeRollback': {
      if (!isCurrent(event.index, 'blocked') || run.steps[event.index]!.name !== 'rollback')
        return { ok: false, refused: 'There is no interrupted rollback to resume.' };
      // The interrupted step stays as it was (failed); a new rollback (and its gate) follows it.
      const env = run.steps[event.index]!.env;
      const steps = withStep(run, event.index, { status: 'failed' });
      steps.splice(event.index + 1, 0, ...rollbackSteps(env, policy.gated(env)));
      return enter({ ...run, endedBy: event.by }, steps, event.index + 1, event.at, policy);
    }
    case 'cancel': {
      if (current !== -1 && run.steps[current]!.status === 'running')
        return {
          ok: false,
          refused: `Run #${run.id} is in the middle of ${run.steps[current]!.name} on ${run.steps[current]!.env}; cancel it once that step ends.`,
        };
      return finish(run, [...run.steps], 'cancelled', event.at, 'cancelled', event.by);
    }
    case 'interrupted': {
      if (run.steps.every((s) => s.status === 'pending'))
        return finish(
          run,
          [...run.steps],
          'failed',
          event.at,
          `The bot stopped before run #${run.id} began: nothing was applied and its environments are free again. Start it again when you are ready.`,
        );
      const working = current !== -1 && run.steps[current]!.status === 'running';
      if (working && run.steps[current]!.name === 'rollback') {
        // Half a rollback: what was rolled back stays so; the run holds until someone resumes it (or cancels).
        const held = withStep(run, current, {
          status: 'blocked',
          finishedAt: event.at,
          summary: 'interrupted',
        });
        return {
          ok: true,
          next: { ...run, steps: held, version: run.version + 1 },
          effects: [{ type: 'renderCard' }],
        };
      }
      const steps = working
        ? withStep(run, current, { status: 'failed', finishedAt: event.at, summary: 'interrupted' })
        : null;
      if (!steps) return { ok: false, refused: 'Nothing was interrupted: the run is waiting, not working.' };
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
