/**
 * The monitor step, decided: what a judged checkpoint calls for (nothing, an alert, a rollback now or through a
 * gate, the end of watching), and its last checkpoint. Pure: the shell measured and judged the figures.
 */
import { type Context, type Decision, type Effect, SYSTEM_ACTOR } from './decision.js';
import { triggerReason } from './judge-reading.js';
import { actionable } from './monitoring.js';
import { describeRollback } from './rollback-plan.js';
import { rollbackRequested } from './rollbacks.js';
import { changed, enter, isCurrent, nextPending, watchingTogether, withStep } from './transitions.js';
import type { Run, RunEvent } from './types.js';

export function monitorDone(run: Run, index: number, at: string, summary: string, ctx: Context): Decision {
  if (!isCurrent(run, index, 'watching')) return { ok: false, refused: 'That monitor step is not watching.' };
  const steps = withStep(run, index, { status: 'succeeded', finishedAt: at, summary });
  // Other services' monitors of this environment still watching: the run goes on once the last one is done.
  if (watchingTogether(run.steps, index).length > 1) return changed(run, { steps }, [{ type: 'renderCard' }]);
  return enter(run, steps, nextPending(steps, index), at, ctx.policy);
}

type CheckpointJudged = Extract<RunEvent, { type: 'checkpointJudged' }>;

export function checkpointJudged(run: Run, e: CheckpointJudged, ctx: Context): Decision {
  if (!isCurrent(run, e.index, 'watching'))
    return { ok: false, refused: 'That monitor step is not watching.' };
  const same = (effects: Effect[]): Decision => ({ ok: true, next: run, effects });
  // Taken on command: shown, never acted on.
  if (e.onDemand) return same([{ type: 'renderCard' }]);
  const env = run.steps[e.index]!.env;
  const { critical, warn, trigger } = actionable(e.judged, ctx.policy.metrics);
  if (!critical.length && !warn.length && e.pending > 0) return same([{ type: 'renderCard' }]);
  if (trigger) {
    const { service } = run.steps[e.index]!;
    const reason = triggerReason(
      trigger,
      ctx.policy.unit(trigger.key),
      service ? `${env} · ${service}` : env,
    );
    const possible = e.rollback.undo.length > 0;
    const automatic = ctx.policy.autoRollback(env);
    const gated = ctx.policy.gated(env);
    const alert: Effect = {
      type: 'alert',
      index: e.index,
      level: 'critical',
      judged: e.judged,
      rollback: {
        when: !possible ? 'impossible' : automatic ? 'now' : gated ? 'approval' : 'offer',
        plan: describeRollback(e.rollback, env),
      },
    };
    const records = [
      {
        type: 'audit' as const,
        actor: SYSTEM_ACTOR,
        action: 'rollback.triggered',
        detail: { metric: trigger.key, value: trigger.value, automatic },
      },
    ];
    // At once with autoRollback; through a rollback gate where the environment has approval rules; otherwise a
    // person presses Roll back on the alert.
    // Offered or impossible: the alert says so, and watching goes on (or ends, at the last checkpoint).
    if (!possible || !(automatic || gated)) return { ...watchOn(run, e, [alert], ctx), records };
    const d = rollbackRequested(
      run,
      {
        type: 'rollbackRequested',
        index: e.index,
        at: e.at,
        by: SYSTEM_ACTOR,
        reason,
        automatic,
        plan: e.rollback,
      },
      ctx,
    );
    return d.ok ? { ...d, effects: [alert, ...d.effects], records } : d;
  }
  const alerts: Effect[] = critical.length
    ? [{ type: 'alert', index: e.index, level: 'critical', judged: e.judged }]
    : warn.length
      ? [{ type: 'alert', index: e.index, level: 'warn', judged: e.judged }]
      : [];
  return watchOn(run, e, alerts, ctx);
}

/** After `first` (alerts): the card shows the new progress, or monitoring ends at its last checkpoint. */
function watchOn(run: Run, e: CheckpointJudged, first: Effect[], ctx: Context): Decision & { ok: true } {
  if (e.pending > 0) return { ok: true, next: run, effects: [...first, { type: 'renderCard' }] };
  const d = monitorDone(run, e.index, e.at, e.progress.replace(/ · next.*/, ''), ctx);
  if (!d.ok) throw new Error(`a watching step could not end: ${d.refused}`);
  return { ...d, effects: [...first, ...d.effects] };
}
