/**
 * Approval gates, decided: a click on a gate's card (who may, what it counts for, whether it opens the gate, the
 * window it waits for), and the scheduler's visits (window opened, expired, a reminder due). Pure.
 */
import { checkCard, decideClick, gateName, shortRules, unsatisfiable } from './approvals.js';
import { type Context, type Decision, type Record, SYSTEM_ACTOR, stepGate } from './decision.js';
import { isRestoreGate, restoreGateEnded } from './restores.js';
import { nextOpening } from './schedule.js';
import { changed, finish, isCurrent, passGate, withStep } from './transitions.js';
import type { Run, RunEvent } from './types.js';

type Clicked = Extract<RunEvent, { type: 'approvalClicked' }>;

/**
 * Who may not approve a gate of their own asking: the run's requester for a deploy gate; for a rollback gate,
 * whoever asked for the rollback (a person; an automatic rollback was asked by nobody, so the requester).
 */
export const requesterOf = (run: Run, index: number): string =>
  run.steps[index]?.purpose === 'rollback' && run.endedBy && run.endedBy !== SYSTEM_ACTOR
    ? run.endedBy
    : run.requestedBy;

/** A click on a gate's card. Decided before the run-is-running check: a click that lost a race hears so. */
export function approvalClicked(run: Run, e: Clicked, ctx: Context): Decision {
  const refuse = (refused: string, refresh?: boolean): Decision => ({
    ok: false,
    refused,
    refresh,
    records: [
      {
        type: 'audit',
        actor: e.by,
        action: 'click.refused',
        detail: { decision: e.decision, gate: e.index, refused },
      },
    ],
  });
  const card = checkCard(run, { r: run.id, i: e.index, d: e.digest }, ctx.digest ?? '');
  if (!card.ok) return refuse(card.refused, card.refresh);
  const env = run.steps[e.index]!.env;
  const policy = stepGate(ctx.policy, run.steps[e.index]!);
  const unread = policy.rules.flatMap((r) =>
    r.usergroup && ctx.groups?.failed[r.usergroup] ? [ctx.groups.failed[r.usergroup]!] : [],
  );
  if (unread.length)
    return refuse(
      `Could not read the approver user groups from Slack (${unread[0]}); nobody can approve through a group until that works.`,
    );
  const groups = ctx.groups?.members ?? {};
  const requester = requesterOf(run, e.index);
  // A gate that can never pass can still be rejected (that ends the run); nothing else counts on it.
  const rollback = run.steps[e.index]?.purpose === 'rollback';
  const short = e.decision === 'reject' ? undefined : shortRules(policy, requester, groups);
  if (short)
    return refuse(
      rollback && !policy.allowSelfApproval
        ? `The rollback of ${env} can never be approved (${short}, not counting whoever asked for the rollback). Reject it to end the run, or fix the rules in deploy.yml; nothing was approved.`
        : unsatisfiable(policy, requester, groups)!,
    );
  const approvals = ctx.approvals ?? [];
  const verdict = decideClick(policy, {
    user: e.by,
    requester,
    rollback,
    decision: e.decision,
    approvals,
    groups,
  });
  if (!verdict.ok) return refuse(verdict.refused);
  const earlier = e.decision === 'reject' ? undefined : earlierStage(run, e.index, e.by, ctx);
  if (earlier) return refuse(earlier);
  if (e.decision !== 'approve' && e.reason === undefined)
    return { ok: true, next: run, effects: [{ type: 'askReason', index: e.index, decision: e.decision }] };
  const records: Record[] = [
    {
      type: 'approval',
      index: e.index,
      user: e.by,
      decision: e.decision,
      reason: e.reason,
      digest: e.digest,
      at: e.at,
    },
    {
      type: 'audit',
      actor: e.by,
      action: `gate.${e.decision}`,
      detail: { gate: e.index, env, reason: e.reason },
    },
  ];
  const withRecords = (d: Decision): Decision =>
    d.ok ? { ...d, records: [...records, ...(d.records ?? [])] } : d;
  if (e.decision === 'reject')
    return withRecords(
      gateRejected(
        run,
        { type: 'gateRejected', index: e.index, at: e.at, by: e.by, reason: e.reason ?? '' },
        ctx,
      ),
    );
  // Counted, and the gate still needs more: the cards show the new progress.
  if (!verdict.satisfiesGate) return { ok: true, next: run, effects: [{ type: 'renderAll' }], records };
  const window = ctx.policy.window(env);
  const opening = window ? nextOpening(new Date(e.at), window) : undefined;
  if (window && !opening) return refuse('The deployment window never opens; fix it in deploy.yml.');
  records.push({ type: 'audit', actor: SYSTEM_ACTOR, action: 'gate.satisfied', detail: { gate: e.index } });
  const resumeAt = opening && opening.toISOString() > e.at ? opening.toISOString() : undefined;
  return withRecords(gateApproved(run, { type: 'gateApproved', index: e.index, at: e.at, resumeAt }, ctx));
}

/**
 * One person counts in one stage only: why `user` may not approve stage gate `index`, because they approved an
 * earlier stage of the same environment in this run (a rejection is always theirs to give), or undefined.
 */
function earlierStage(run: Run, index: number, user: string, ctx: Context): string | undefined {
  const step = run.steps[index]!;
  if (step.stage === undefined) return undefined;
  const earlier = (i: number) => {
    const s = run.steps[i];
    return i < index && s?.name === 'approval' && s.env === step.env && s.stage !== undefined && !s.purpose;
  };
  const given = (ctx.otherGates ?? []).find(
    (a) => a.user === user && a.decision !== 'reject' && earlier(a.index),
  );
  if (!given) return undefined;
  return `You approved the ${run.steps[given.index]!.stage} stage of ${step.env} ${given.at.slice(0, 16).replace('T', ' ')} UTC, and one person counts in one stage only: someone else must approve the ${step.stage} stage. Nothing was recorded.`;
}

export function gateApproved(
  run: Run,
  e: Extract<RunEvent, { type: 'gateApproved' }>,
  ctx: Context,
): Decision {
  if (!isCurrent(run, e.index, 'waiting'))
    return { ok: false, refused: 'This gate is not waiting for approvals.' };
  if (e.resumeAt && e.resumeAt > e.at)
    return changed(run, { steps: withStep(run, e.index, { status: 'scheduled', resumeAt: e.resumeAt }) }, [
      { type: 'renderCard' },
      { type: 'renderGate', index: e.index },
    ]);
  return passGate(run, e.index, e.at, ctx.policy);
}

export function gateRejected(
  run: Run,
  e: Extract<RunEvent, { type: 'gateRejected' }>,
  ctx: Context,
): Decision {
  if (!isCurrent(run, e.index, 'waiting', 'scheduled'))
    return { ok: false, refused: 'This gate is no longer open.' };
  if (isRestoreGate(run, e.index))
    return restoreGateEnded(run, e.index, e.at, { rejectedBy: e.by, reason: e.reason }, ctx.policy);
  const steps = withStep(run, e.index, { status: 'failed', finishedAt: e.at, summary: 'rejected' });
  return finish(run, steps, 'rejected', e.at, e.reason, e.by);
}

export function gateExpired(run: Run, index: number, at: string, ctx: Context): Decision {
  if (!isCurrent(run, index, 'waiting'))
    return { ok: false, refused: 'This gate is not waiting for approvals.' };
  if (isRestoreGate(run, index)) return restoreGateEnded(run, index, at, 'expired', ctx.policy);
  const steps = withStep(run, index, { status: 'failed', finishedAt: at, summary: 'expired' });
  return finish(run, steps, 'expired', at, whyExpired(run, index, ctx));
}

/** Why a gate expired, in a sentence: how far its approvals got, and for a rollback, what stays applied. */
function whyExpired(run: Run, index: number, ctx?: Context): string {
  const env = run.steps[index]!.env;
  const stage = run.steps[index]!.stage;
  const given = (ctx?.approvals ?? []).filter((a) => a.decision !== 'reject').length;
  const needed = ctx ? stepGate(ctx.policy, run.steps[index]!).rules.reduce((n, r) => n + r.count, 0) : 0;
  const so = given ? ` (${given} of the ${needed} approvals it needs)` : '';
  if (run.steps[index]!.purpose === 'rollback')
    return `The rollback of ${env} was not approved in time${so}: what this run applied there stays applied.`;
  const name = gateName({ env, stage });
  if (stage !== undefined)
    return given
      ? `The ${stage} stage of ${env} was not fully approved in time${so}.`
      : `Nobody approved ${name} in time.`;
  return given ? `${env} was not fully approved in time${so}.` : `Nobody approved ${env} in time.`;
}

export function windowOpened(run: Run, index: number, at: string, ctx: Context): Decision {
  if (!isCurrent(run, index, 'scheduled'))
    return { ok: false, refused: 'This gate is not waiting for its window.' };
  return passGate(run, index, at, ctx.policy);
}

/** The scheduler's visit to an open gate: its window opened, it expired, or its approvers are reminded. */
export function gateDue(run: Run, index: number, at: string, ctx: Context): Decision {
  const step = run.steps[index];
  if (step?.status === 'scheduled' && step.resumeAt && step.resumeAt <= at)
    return windowOpened(run, index, at, ctx);
  if (step?.status === 'waiting' && step.expiresAt && step.expiresAt <= at)
    return gateExpired(run, index, at, ctx);
  if (step?.status === 'waiting' && step.remindAt && step.remindAt <= at) {
    // Back off: each reminder waits twice as long as the one before.
    const reminders = (step.reminders ?? 0) + 1;
    const next = new Date(Date.parse(at) + ctx.policy.remindEveryMs(step.env) * 2 ** reminders).toISOString();
    return changed(run, { steps: withStep(run, index, { remindAt: next, reminders }) }, [
      { type: 'remind', index },
    ]);
  }
  return { ok: false, refused: 'Nothing is due on this gate.' };
}
