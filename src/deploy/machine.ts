/**
 * decide(run, event, ctx): every transition of a run, and every answer to a person about it, lives here. The shell
 * gathers the context (the time is in the event; the policy, user groups and the gate's approvals in `ctx`),
 * saves `next` with `records` in one transaction, and performs `effects` after it commits. Nothing here does I/O.
 */
import { withAfter } from './after-decisions.js';
import type { Context, Decision } from './decision.js';
import {
  approvalClicked,
  gateApproved,
  gateDue,
  gateExpired,
  gateRejected,
  windowOpened,
} from './gate-decisions.js';
import { describeInterruptedApply, type InterruptedApply } from './interrupted-apply.js';
import { lockHeldSummary } from './lock-held.js';
import { checkpointJudged, monitorDone } from './monitor-decisions.js';
import { withNotices } from './notify.js';
import { describeEnd, isBaseline } from './plan.js';
import { acknowledge, cancel, monitorRequest, verifyNow } from './requests.js';
import { offerRestore, restorePressed } from './restores.js';
import { pressed, rerunVerify, resumeRollback, retryApply, rollbackRequested } from './rollbacks.js';
import {
  changed,
  currentStep,
  enter,
  finish,
  isCurrent,
  nextPending,
  rollbackGoesOn,
  withStep,
} from './transitions.js';
import type { Run, RunEvent, Step } from './types.js';
import { chartWhenWatchEnds } from './watch-end.js';

const SKIP_WHEN_NOTHING = new Set<Step['name']>(['approval', 'backup', 'apply', 'monitor', 'baseline']);

export function decide(run: Run, event: RunEvent, ctx: Context): Decision {
  return chartWhenWatchEnds(run, decideRun(run, event, ctx));
}

/** Around every event: deploy.yml's after: actions and notify: channels (after-decisions.ts, notify.ts). */
function decideRun(run: Run, event: RunEvent, ctx: Context): Decision {
  return withNotices(run, event, withAfter(run, event, ctx, decideEvent), ctx.policy.notify);
}

function decideEvent(run: Run, event: RunEvent, ctx: Context): Decision {
  // Answers that do not need the run to be running (a finished run can be checked and read).
  switch (event.type) {
    case 'approvalClicked':
      return approvalClicked(run, event, ctx);
    case 'verifyNow':
      return verifyNow(run, event.index, event.by, ctx);
    case 'watch':
      return monitorRequest(run, event, ctx);
    case 'acknowledge':
      return acknowledge(run, event, ctx);
  }
  if (run.status !== 'running') return { ok: false, refused: describeEnd(run) };
  switch (event.type) {
    case 'begin':
      if (run.steps.some((s) => s.status !== 'pending'))
        return { ok: false, refused: `Run #${run.id} has already begun.` };
      return enter(run, [...run.steps], 0, event.at, ctx.policy);
    case 'stepSucceeded':
    case 'stepFailed':
      return stepEnded(run, event, ctx);
    case 'gateApproved':
      return gateApproved(run, event, ctx);
    case 'windowOpened':
      return windowOpened(run, event.index, event.at, ctx);
    case 'gateRejected':
      return gateRejected(run, event, ctx);
    case 'gateExpired':
      return gateExpired(run, event.index, event.at, ctx);
    case 'gateDue':
      return gateDue(run, event.index, event.at, ctx);
    case 'rerunVerify':
      return pressed(run, event, ctx, () => rerunVerify(run, event.index, event.at));
    case 'retryApply':
      return pressed(run, event, ctx, () => retryApply(run, event.index, event.at));
    case 'rollbackRequested':
      return pressed(run, event, ctx, () => rollbackRequested(run, event, ctx));
    case 'resumeRollback':
      return pressed(run, event, ctx, () => resumeRollback(run, event.index, event.at, event.by, ctx));
    case 'monitorDone':
      return monitorDone(run, event.index, event.at, event.summary, ctx);
    case 'checkpointJudged':
      return checkpointJudged(run, event, ctx);
    case 'checkpointNow':
      return monitorRequest(run, event, ctx);
    case 'cancel':
      return cancel(run, event.at, event.by, ctx);
    case 'restoreRequested':
    case 'restoreDeclined':
      return restorePressed(run, event, ctx);
    case 'interrupted':
      return interrupted(run, event);
  }
}

function stepEnded(
  run: Run,
  event: Extract<RunEvent, { type: 'stepSucceeded' | 'stepFailed' }>,
  ctx: Context,
): Decision {
  if (!isCurrent(run, event.index, 'running'))
    return { ok: false, refused: `Step ${event.index + 1} of run #${run.id} is not running.` };
  const ok = event.type === 'stepSucceeded';
  const step = run.steps[event.index]!;
  const ended = { finishedAt: event.at, durationMs: event.durationMs, summary: event.summary };
  const holds = step.name === 'verify' || step.name === 'restore';
  const lockHeld = event.type === 'stepFailed' && step.name === 'apply' && event.lockTimeout;
  if (event.type === 'stepFailed' && (holds || lockHeld || (step.name === 'apply' && event.partial))) {
    // Verification failed (or some files went in, or the lock was not granted): a person decides to roll back,
    // re-run (retry the apply), or cancel.
    const summary = lockHeld ? lockHeldSummary(!!event.partial) : event.summary;
    const held = withStep(run, event.index, { status: 'blocked', ...ended, summary });
    return {
      ok: true,
      // (A failed restore keeps the rollback's reason: its own is in its thread reply.)
      next: {
        ...run,
        steps: held,
        reason: step.name === 'restore' ? run.reason : event.reason,
        version: run.version + 1,
      },
      effects: [{ type: 'renderCard' }],
    };
  }
  const steps = withStep(run, event.index, { status: ok ? 'succeeded' : 'failed', ...ended });
  if (event.type === 'stepFailed') return finish(run, steps, 'failed', event.at, event.reason);
  if (event.nothingToApply && step.name === 'preflight') skipNothing(run, steps, event.index);
  // A rollback that left data its down files cannot bring back holds, offering Restore from backup (restores.ts).
  if (step.name === 'rollback' && event.restorable) return offerRestore(run, steps, event.index, event.at);
  if (step.name === 'rollback' || step.name === 'restore')
    return rollbackGoesOn(run, steps, event.index, event.at, ctx.policy);
  return enter(run, steps, nextPending(steps, event.index), event.at, ctx.policy);
}

/**
 * Nothing of this run is pending where preflight `index` looked: that service's (or the environment's) backup,
 * apply and monitor are skipped, and the environment's gates too once no service has anything to apply there.
 */
function skipNothing(run: Run, steps: Step[], index: number): void {
  const step = steps[index]!;
  const what = isBaseline(run) ? 'baseline' : 'apply';
  const here = (s: Step, i: number) =>
    i > index && s.env === step.env && !s.purpose && SKIP_WHEN_NOTHING.has(s.name);
  const where = step.service ? `${step.service} on ${step.env}` : step.env;
  for (const [i, s] of steps.entries())
    if (here(s, i) && s.service === step.service)
      steps[i] = { ...s, status: 'skipped', summary: `nothing to ${what} on ${where}` };
  if (!step.service) return;
  const applying = steps.some(
    (s, i) => here(s, i) && (s.name === 'apply' || s.name === 'baseline') && s.status === 'pending',
  );
  if (!applying)
    for (const [i, s] of steps.entries())
      if (here(s, i) && !s.service && s.status === 'pending')
        steps[i] = { ...s, status: 'skipped', summary: `nothing to ${what} on ${step.env}` };
}

function interrupted(run: Run, { at, apply }: Extract<RunEvent, { type: 'interrupted' }>): Decision {
  if (run.steps.every((s) => s.status === 'pending'))
    return finish(
      run,
      [...run.steps],
      'failed',
      at,
      `The bot stopped before run #${run.id} began: nothing was applied and its environments are free again. Start it again when you are ready.`,
    );
  const current = currentStep(run);
  const working = current !== -1 && run.steps[current]!.status === 'running';
  if (!working) return { ok: false, refused: 'Nothing was interrupted: the run is waiting, not working.' };
  if (run.steps[current]!.name === 'restore') {
    // A restore is one transaction: cut, it restored nothing; the offer stands again.
    const held = withStep(run, current, { status: 'blocked', finishedAt: at, summary: 'interrupted' });
    return {
      ok: true,
      next: { ...run, steps: held, version: run.version + 1 },
      effects: [{ type: 'renderCard' }],
    };
  }
  if (run.steps[current]!.name === 'rollback') {
    // Half a rollback: what was rolled back stays so; the run holds until someone resumes it (or cancels).
    const held = withStep(run, current, { status: 'blocked', finishedAt: at, summary: 'interrupted' });
    return {
      ok: true,
      next: { ...run, steps: held, version: run.version + 1 },
      effects: [{ type: 'renderCard' }],
    };
  }
  // An apply cut short: which file died with the bot, which are applied, whether the backup is kept.
  const { env, service } = run.steps[current]!;
  const known = apply?.index === current && run.steps[current]!.name === 'apply';
  const held = known && heldAfterCut(run, current, apply, at);
  if (held) return held;
  const steps = withStep(run, current, { status: 'failed', finishedAt: at, summary: 'interrupted' });
  return finish(
    run,
    steps,
    'failed',
    at,
    known
      ? describeInterruptedApply(service ? `${env} · ${service}` : env, apply)
      : 'The bot stopped while this run was in progress. The ledger in the target records what was applied; start the run again to continue.',
  );
}

/**
 * An apply cut short after files of this run went in on its environment (its own, or with services another
 * service's): the run holds, as after an apply that failed part way, so Roll back can undo them (or Cancel leaves
 * them), rather than ending with files applied and no button to undo them.
 */
function heldAfterCut(run: Run, index: number, f: InterruptedApply, at: string): Decision | undefined {
  const { env, service } = run.steps[index]!;
  const others = run.steps.flatMap((s, i) =>
    i < index &&
    s.env === env &&
    s.name === 'apply' &&
    s.service &&
    s.service !== service &&
    s.status === 'succeeded' &&
    !s.summary?.startsWith('nothing to apply')
      ? [s.service]
      : [],
  );
  // (A file outside a transaction with nothing in the ledger: Roll back would have no file to undo, so it ends.)
  if (!f.applied.length && !others.length) return undefined;
  const where = service ? `${env} · ${service}` : env;
  const said = describeInterruptedApply(where, f).replace(/ Start the run again to continue.*$/, '');
  const also = others.length ? ` Applied on ${env} by this run before it: ${others.join(', ')}.` : '';
  const steps = withStep(run, index, { status: 'blocked', finishedAt: at, summary: 'interrupted' });
  return changed(run, { steps, reason: `${said}${also}` }, [{ type: 'renderCard' }]);
}
