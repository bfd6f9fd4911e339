/**
 * Restore from backup, decided: offered after a rollback whose down files cannot bring data back, pressed (through
 * a gate when the environment has approvals, like the rollback), declined, or ended at its gate. Pure.
 *
 * The offer holds the run on a `restore` step (status `blocked`, purpose `rollback`): the environment stays taken
 * until someone restores or finishes without restoring. A restore that fails holds it again.
 */
import { shortRules } from './approvals.js';
import { type Context, type Decision, type Policy, SYSTEM_ACTOR } from './decision.js';
import { forbidden } from './people.js';
import { changed, enter, isCurrent, rollbackGoesOn, withStep } from './transitions.js';
import type { Run, RunEvent, Step } from './types.js';

type Pressed = Extract<RunEvent, { type: 'restoreRequested' | 'restoreDeclined' }>;

/** The restore step's summary while offered, and once declined: the run card shows "restore <summary>". */
export const OFFERED = 'from backup offered, waiting for Restore from backup or Finish without restoring';
export const DECLINED = 'from backup declined: Finish without restoring was pressed';

/** The rollback (step `index` of `steps`) went through and the backup can put data back: hold, offering it. */
export function offerRestore(run: Run, steps: Step[], index: number, at: string): Decision {
  const { env, service } = steps[index]!;
  // With services, the restore is of the service whose rollback offered it (its database, its backup).
  const offer: Step = {
    env,
    ...(service ? { service } : {}),
    name: 'restore',
    status: 'blocked',
    purpose: 'rollback',
    startedAt: at,
    summary: OFFERED,
  };
  return changed(run, { steps: [...steps.slice(0, index + 1), offer, ...steps.slice(index + 1)] }, [
    { type: 'renderCard' },
  ]);
}

/** Whether the gate at `index` lets a restore through (a rollback gate just before a restore step). */
export const isRestoreGate = (run: Pick<Run, 'steps'>, index: number): boolean =>
  run.steps[index]?.name === 'approval' && run.steps[index + 1]?.name === 'restore';

/** A restore's gate rejected or expired: the run ends rolled back, its data not restored, and says why. */
export function restoreGateEnded(
  run: Run,
  index: number,
  at: string,
  how: { rejectedBy: string; reason: string } | 'expired',
  policy: Policy,
): Decision {
  const env = run.steps[index]!.env;
  const steps = withStep(run, index, {
    status: 'failed',
    finishedAt: at,
    summary: how === 'expired' ? 'expired' : 'rejected',
  });
  const why =
    how === 'expired'
      ? `The restore of ${env} was not approved in time: the rollback stands, its data was not restored.`
      : `The restore of ${env} was rejected by <@${how.rejectedBy}> (${how.reason}): the rollback stands, its data was not restored.`;
  // With services, the next service's rollback goes on (its restore offer, if any, is its own).
  if (steps[index + 1]?.name === 'restore' && steps[index + 1]!.status === 'pending')
    steps[index + 1] = { ...steps[index + 1]!, status: 'skipped', finishedAt: at, summary: 'not restored' };
  return rollbackGoesOn(run, steps, index + 1, at, policy, {
    reason: why,
    by: how === 'expired' ? run.endedBy : how.rejectedBy,
  });
}

/** Restore from backup, or Finish without restoring, pressed on the card of a run holding on the offer. */
export function restorePressed(run: Run, e: Pressed, ctx: Context): Decision {
  const step = run.steps[e.index];
  const action = e.type === 'restoreRequested' ? 'restore.requested' : 'restore.declined';
  if (step?.name !== 'restore' || !isCurrent(run, e.index, 'blocked')) {
    const refused = 'That card was out of date: no restore is waiting for a decision. It has been refreshed.';
    return {
      ok: false,
      refused,
      refresh: true,
      records: [{ type: 'audit', actor: e.by, action: 'restore.refused', detail: { refused } }],
    };
  }
  const no = forbidden(ctx, run, e.by, 'restore', step.env, 'restore.refused');
  if (no) return no;
  const audit = { type: 'audit' as const, actor: e.by, action, detail: { env: step.env } };
  if (e.type === 'restoreDeclined') {
    const steps = withStep(run, e.index, { status: 'skipped', finishedAt: e.at, summary: DECLINED });
    const d = rollbackGoesOn(run, steps, e.index, e.at, ctx.policy);
    return d.ok ? { ...d, records: [audit] } : d;
  }
  const gated = ctx.policy.gated(step.env);
  const stuck = gated && e.by !== SYSTEM_ACTOR ? neverApproved(run, e.by, step.env, ctx) : undefined;
  if (stuck)
    return {
      ok: false,
      refused: stuck,
      records: [{ type: 'audit', actor: e.by, action: 'restore.refused', detail: { refused: stuck } }],
    };
  // The offer becomes the step to run, behind a gate like the rollback's; whoever asks may not approve it.
  const steps = withStep(run, e.index, {
    status: 'pending',
    startedAt: undefined,
    summary: undefined,
  });
  if (gated)
    steps.splice(e.index, 0, { env: step.env, name: 'approval', status: 'pending', purpose: 'rollback' });
  const d = enter({ ...run, endedBy: e.by }, steps, e.index, e.at, ctx.policy);
  return d.ok ? { ...d, records: [audit] } : d;
}

/** Why a restore asked for by `by` could never be approved (they are the only one who could), if so. */
function neverApproved(run: Run, by: string, env: string, ctx: Context): string | undefined {
  const short = shortRules(ctx.policy.gate(env), by, ctx.groups?.members ?? {});
  if (!short) return undefined;
  const others = [
    ...(run.requestedBy !== by ? [`<@${run.requestedBy}> (who requested run #${run.id})`] : []),
    ...(ctx.policy.oncall ? ['on-call'] : []),
  ];
  const ask = others.length
    ? `Ask ${others.join(' or ')} to press Restore from backup; you can then approve it.`
    : 'Fix the rules in deploy.yml.';
  return `A restore on ${env} needs approval by someone other than whoever asks for it, and with you asking it could never be given (${short}, not counting you). ${ask}`;
}
