/**
 * decide()'s part about after: actions (docs/after.md). An action's step ends (its failure is reported, never
 * fails the run); its gate closes unapproved (the action is skipped and the run goes on); the bot stopped in the
 * middle of one (it runs again: a webhook with the same idempotency key, a merge only once GitHub says it is not
 * merged); a run fails on an environment with actions for a failure (the run stays running through them, then ends
 * as it would have, with the same reason). Pure.
 */
import { afterSteps } from './after-rules.js';
import type { Context, Decision, Effect } from './decision.js';
import { changed, currentStep, enter, finish, isCurrent, nextPending, withStep } from './transitions.js';
import type { Run, RunEvent, Step } from './types.js';

type Decide = (run: Run, event: RunEvent, ctx: Context) => Decision;

/** `inner` decides the event, unless it is about an action's step; what it decides is then checked for endings. */
export function withAfter(run: Run, event: RunEvent, ctx: Context, inner: Decide): Decision {
  return actionEvent(run, event, ctx) ?? afterEnding(run, inner(run, event, ctx), ctx);
}

function actionEvent(run: Run, event: RunEvent, ctx: Context): Decision | undefined {
  if (run.status !== 'running') return undefined;
  if (event.type === 'stepSucceeded' || event.type === 'stepFailed') {
    if (run.steps[event.index]?.name !== 'after' || !isCurrent(run, event.index, 'running')) return undefined;
    const steps = withStep(run, event.index, {
      status: event.type === 'stepSucceeded' ? 'succeeded' : 'failed',
      finishedAt: event.at,
      durationMs: event.durationMs,
      summary: event.summary,
    });
    return goOn(run, steps, event.index, event.at, ctx);
  }
  if (event.type === 'interrupted') {
    const c = currentStep(run);
    if (c === -1 || run.steps[c]!.name !== 'after' || run.steps[c]!.status !== 'running') return undefined;
    const label = run.steps[c]!.after?.label ?? 'after';
    const steps = withStep(run, c, {
      startedAt: event.at,
      summary: `${label}: again, after the bot restarted`,
    });
    return changed(run, { steps }, [{ type: 'renderCard' }, { type: 'runStep', index: c }]);
  }
  return undefined;
}

/** After step `index` (an action, or one skipped): the next step, or the end a failed run was headed for. */
function goOn(
  run: Run,
  steps: Step[],
  index: number,
  at: string,
  ctx: Context,
  extra: Effect[] = [],
): Decision {
  const next = nextPending(steps, index);
  const outcome = steps[index]!.after?.outcome ?? 'succeeded';
  if (next < steps.length || outcome === 'succeeded') return enter(run, steps, next, at, ctx.policy, extra);
  const d = finish(run, steps, outcome, at, run.reason, run.endedBy);
  if (!d.ok) return d;
  const more = extra.filter((e) => !d.effects.some((x) => JSON.stringify(x) === JSON.stringify(e)));
  return { ...d, effects: [...more, ...d.effects] };
}

function afterEnding(run: Run, d: Decision, ctx: Context): Decision {
  if (!d.ok || run.status !== 'running' || d.next.status === 'running') return d;
  const c = currentStep(run);
  if (c === -1) return d;
  const step = run.steps[c]!;
  const at = d.next.finishedAt ?? run.createdAt;
  const keep = (goes: Decision): Decision => (goes.ok ? { ...goes, records: d.records } : goes);
  // An action's gate rejected or expired: that action is skipped, the run goes on (the card says who rejected it).
  if (
    step.name === 'approval' &&
    step.purpose === 'after' &&
    run.steps[c + 1]?.name === 'after' &&
    (d.next.status === 'rejected' || d.next.status === 'expired')
  ) {
    const steps = withStep(run, c, {
      status: 'failed',
      finishedAt: at,
      summary: d.next.status,
      remindAt: undefined,
    });
    const label = steps[c + 1]!.after?.label ?? 'after';
    steps[c + 1] = { ...steps[c + 1]!, status: 'skipped', summary: `${label}: not approved` };
    return keep(goOn(run, steps, c + 1, at, ctx, [{ type: 'renderGate', index: c }]));
  }
  if (d.next.status !== 'failed' && d.next.status !== 'rolled_back') return d;
  // Once only: a run already doing its failure actions ends as they decide.
  if (run.steps.some((s) => s.after && s.after.outcome !== 'succeeded')) return d;
  const added = afterSteps(step.env, ctx.policy.after?.(step.env) ?? [], d.next.status);
  if (!added.length) return d;
  const steps = [...d.next.steps, ...added];
  // The run stays running through its failure actions; the report waits for its end.
  const kept = d.effects.filter((e) => e.type !== 'report' && e.type !== 'renderCard');
  const headed = { ...run, reason: d.next.reason, endedBy: d.next.endedBy };
  return keep(enter(headed, steps, d.next.steps.length, at, ctx.policy, kept));
}
