/**
 * What people ask of a run that is not a gate: cancel it, run its checks now, take or read a checkpoint,
 * answer an alert. Each is checked against the permission table first. Pure.
 */
import { type Context, type Decision, ON_DEMAND_EVERY_MS } from './decision.js';
import { forbidden } from './people.js';
import { currentStep, finish } from './transitions.js';
import type { Run, RunEvent } from './types.js';

const hms = (iso: string) => iso.slice(11, 19);

/** Cancel: the requester, or anyone who could approve the run's next gate (or where the run is now). */
export function cancel(run: Run, at: string, by: string, ctx: Context): Decision {
  const current = Math.max(
    0,
    run.steps.findIndex((s) => s.status !== 'succeeded' && s.status !== 'skipped'),
  );
  const gate = run.steps.slice(current).find((s) => s.name === 'approval') ?? run.steps[current]!;
  const no = forbidden(ctx, run, by, 'cancel', gate.env, 'cancel.refused');
  if (no) return no;
  const c = currentStep(run);
  if (c !== -1 && run.steps[c]!.status === 'running')
    return {
      ok: false,
      refused: `Run #${run.id} is in the middle of ${run.steps[c]!.name} on ${run.steps[c]!.env}; cancel it once that step ends.`,
    };
  const d = finish(run, [...run.steps], 'cancelled', at, 'cancelled', by);
  return { ...d, records: [{ type: 'audit', actor: by, action: 'run.cancelled' }] };
}

/** Run a verify step's checks now: any verify step the run has reached, running or ended. */
export function verifyNow(run: Run, index: number, by: string, ctx: Context): Decision {
  const step = run.steps[index];
  if (step?.name !== 'verify')
    return { ok: false, refused: 'That card was out of date; use the latest run card.' };
  if (step.status === 'pending' || step.status === 'skipped')
    return { ok: false, refused: `Run #${run.id} has not reached verification on ${step.env} yet.` };
  return (
    forbidden(ctx, run, by, 'verifyNow', step.env, 'verify.refused') ?? {
      ok: true,
      next: run,
      effects: [{ type: 'verifyNow', index, by }],
    }
  );
}

/** Read a monitor step's figures, or take a checkpoint now (one a minute per run, never counted). */
export function monitorRequest(
  run: Run,
  e: Extract<RunEvent, { type: 'watch' | 'checkpointNow' }>,
  ctx: Context,
): Decision {
  const step = run.steps[e.index]!;
  const kind = e.type === 'watch' ? 'watch' : 'checkpoint';
  const no = forbidden(ctx, run, e.by, kind, step.env, `${kind}.refused`);
  if (no) return no;
  // Watch: the figures to the asker, and the chart so far (or of the whole watch) in the thread.
  if (e.type === 'watch')
    return {
      ok: true,
      next: run,
      effects: [
        { type: 'showMonitor', index: e.index },
        { type: 'chart', index: e.index },
      ],
    };
  if (step.status !== 'watching')
    return { ok: false, refused: `Run #${run.id} is not being watched any more.` };
  const last = e.lastOnDemandAt;
  if (last && Date.parse(e.at) - Date.parse(last) < ON_DEMAND_EVERY_MS)
    return {
      ok: false,
      refused: `A checkpoint of run #${run.id} was taken on command at ${hms(last)} UTC; take the next one from ${hms(new Date(Date.parse(last) + ON_DEMAND_EVERY_MS).toISOString())} UTC (one a minute). The planned checkpoints go on meanwhile.`,
    };
  return {
    ok: true,
    next: run,
    effects: [
      { type: 'takeCheckpoint', index: e.index },
      { type: 'showMonitor', index: e.index },
    ],
  };
}

/** Acknowledge a critical alert (or keep watching): recorded once; its buttons go. */
export function acknowledge(run: Run, e: Extract<RunEvent, { type: 'acknowledge' }>, ctx: Context): Decision {
  const env = run.steps[e.index]?.env ?? run.steps.at(-1)!.env;
  const no = forbidden(ctx, run, e.by, 'acknowledge', env, 'alert.refused', { alert: e.alert });
  if (no) return no;
  const already = ctx.alert?.acknowledgedBy;
  if (already) return { ok: false, refused: `Already acknowledged by <@${already}>; nothing changed.` };
  return {
    ok: true,
    next: run,
    effects: [{ type: 'redrawAlert', alert: e.alert, by: e.by, keep: e.keep }],
    records: [
      { type: 'acknowledge', alert: e.alert, by: e.by, at: e.at, keep: e.keep },
      {
        type: 'audit',
        actor: e.by,
        action: e.keep ? 'alert.keep_watching' : 'alert.acknowledged',
        detail: { alert: e.alert },
      },
    ],
  };
}
