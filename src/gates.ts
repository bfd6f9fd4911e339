/** Approval gates: clicks, modals, cancel, and the scheduler's tick (windows, expiry, reminders). */

import { createAuthority } from './authority.js';
import {
  type Decision as ApprovalDecision,
  checkCard as checkCardOf,
  decideClick,
  unsatisfiable,
} from './deploy/approvals.js';
import { describeEnd } from './deploy/plan.js';
import { describeRollback } from './deploy/rollback-plan.js';
import { nextOpening } from './deploy/schedule.js';
import type { Decision, Run } from './deploy/types.js';
import type { Engine } from './engine.js';
import { textMessage } from './slack/blocks.js';
import type { Chat, Respond } from './slack/chat.js';
import { reasonModal } from './slack/gate-blocks.js';
import { acknowledgedAlert } from './slack/monitor-blocks.js';
import { esc, escKeepingMentions, SYSTEM_ACTOR } from './slack/mrkdwn.js';
import type { AlertRef, StepRef } from './slack/refs.js';
import { acknowledge, findAlert } from './store/alerts.js';
import { claimClick } from './store/claims.js';
import * as runs from './store/runs.js';
import { digestOf } from './target/files.js';

export interface Click {
  readonly user: string;
  readonly ref: StepRef;
  readonly decision: ApprovalDecision;
  readonly reason?: string;
  readonly channel: string;
  readonly triggerId?: string;
  readonly respond: Respond;
}

/** Slack user-group members gathered before a lock, or why they could not be read. */
type Groups = { ok: true; members: Record<string, string[]> } | { ok: false; refused: string };

type Verdict = { ok: true; decision?: Decision } | { ok: false; refused: string; refresh?: boolean };

export function createGates(engine: Engine, chat: Chat) {
  const db = engine.db;
  const authorize = createAuthority(engine, chat);

  const checkCard = (run: Run | undefined, ref: StepRef): Verdict => {
    const c = checkCardOf(
      run,
      { r: ref.run, i: ref.step, d: ref.digest },
      run ? digestOf(run.checksums) : '',
    );
    return c.ok ? { ok: true } : c;
  };

  /**
   * Who may not approve a gate of their own asking: the run's requester for a deploy gate; for a rollback gate,
   * whoever asked for the rollback (a person; an automatic rollback was asked by nobody, so the requester).
   */
  const requesterOf = (run: Run, index: number): string =>
    run.steps[index]?.purpose === 'rollback' && run.endedBy && run.endedBy !== SYSTEM_ACTOR
      ? run.endedBy
      : run.requestedBy;

  /**
   * The members of the groups a gate's rules name, read from Slack before any lock is taken (a slow Slack must
   * never hold a run row locked); a refusal sentence when Slack cannot tell.
   */
  async function groupsOf(run: Run, c: Click): Promise<Groups> {
    try {
      return { ok: true, members: await engine.groupsFor(engine.gatePolicy(run.steps[c.ref.step]!.env)) };
    } catch (e) {
      return {
        ok: false,
        refused: `Could not read the approver user groups from Slack (${(e as Error).message}); nobody can approve through a group until that works.`,
      };
    }
  }

  /** Pure given what was gathered: may this click count on this gate? */
  function judge(
    run: Run,
    c: Click,
    approvals: Awaited<ReturnType<typeof runs.loadApprovals>>,
    groups: Groups,
  ) {
    if (!groups.ok) return { ok: false as const, refused: groups.refused };
    const members = groups.members;
    const policy = engine.gatePolicy(run.steps[c.ref.step]!.env);
    const requester = requesterOf(run, c.ref.step);
    const never = unsatisfiable(policy, requester, members);
    if (never) return { ok: false as const, refused: never };
    return decideClick(policy, {
      user: c.user,
      requester,
      rollback: run.steps[c.ref.step]?.purpose === 'rollback',
      decision: c.decision,
      approvals,
      groups: members,
    });
  }

  async function refuse(c: Click, runId: number, refused: string, refresh?: boolean) {
    await runs.audit(db, {
      actor: c.user,
      action: `click.refused`,
      runId,
      detail: { decision: c.decision, gate: c.ref.step, refused },
    });
    await c.respond(textMessage(escKeepingMentions(refused)));
    if (refresh) {
      const run = await runs.loadRun(db, runId);
      if (run) await engine.renderAll(run);
    }
  }

  /** A button: Approve records at once; conditions and Reject first open a modal asking why. */
  async function click(c: Click): Promise<void> {
    const run = await runs.loadRun(db, c.ref.run);
    const card = checkCard(run, c.ref);
    if (!card.ok) return refuse(c, c.ref.run, card.refused, card.refresh);
    if (c.decision !== 'approve' && c.reason === undefined) {
      const verdict = judge(
        run!,
        c,
        await runs.loadApprovals(db, run!.id, c.ref.step),
        await groupsOf(run!, c),
      );
      if (!verdict.ok) return refuse(c, run!.id, verdict.refused);
      await chat.openModal(
        c.triggerId ?? '',
        reasonModal(c.decision, c.ref, c.channel, run!.steps[c.ref.step]!.env),
      );
      return;
    }
    return record(c);
  }

  /** Record one decision under the run's row lock: 50 people clicking at once give exactly one transition. */
  async function record(c: Click): Promise<void> {
    const at = engine.now();
    // Gathered before the run row is locked: Slack is a network call, and no lock may wait on it.
    const before = await runs.loadRun(db, c.ref.run);
    const groups: Groups = before?.steps[c.ref.step] ? await groupsOf(before, c) : { ok: true, members: {} };
    const outcome = await db.transaction(async (tx): Promise<Verdict> => {
      const run = await runs.loadRun(tx, c.ref.run, true);
      const card = checkCard(run, c.ref);
      if (!card.ok) return card;
      const approvals = await runs.loadApprovals(tx, run!.id, c.ref.step);
      const verdict = judge(run!, c, approvals, groups);
      if (!verdict.ok) return verdict;
      await runs.recordApproval(tx, {
        runId: run!.id,
        index: c.ref.step,
        user: c.user,
        decision: c.decision,
        reason: c.reason,
        digest: c.ref.digest,
        at,
      });
      await runs.audit(tx, {
        actor: c.user,
        action: `gate.${c.decision}`,
        runId: run!.id,
        detail: { gate: c.ref.step, env: run!.steps[c.ref.step]!.env, reason: c.reason },
      });
      if (c.decision === 'reject')
        return {
          ok: true,
          decision: await engine.transition(
            run!.id,
            { type: 'gateRejected', index: c.ref.step, at, by: c.user, reason: c.reason ?? '' },
            tx,
          ),
        };
      if (!verdict.satisfiesGate) return { ok: true };
      const window = engine.env(run!.steps[c.ref.step]!.env)?.window;
      const opening = window ? nextOpening(new Date(at), window) : undefined;
      if (window && !opening)
        return { ok: false, refused: 'The deployment window never opens; fix it in deploy.yml.' };
      await runs.audit(tx, {
        actor: 'migration-gate',
        action: 'gate.satisfied',
        runId: run!.id,
        detail: { gate: c.ref.step },
      });
      const resumeAt = opening && opening.toISOString() > at ? opening.toISOString() : undefined;
      return {
        ok: true,
        decision: await engine.transition(
          run!.id,
          { type: 'gateApproved', index: c.ref.step, at, resumeAt },
          tx,
        ),
      };
    });
    if (!outcome.ok) return refuse(c, c.ref.run, outcome.refused, outcome.refresh);
    if (outcome.decision?.ok) return engine.follow(outcome.decision);
    const run = await runs.loadRun(db, c.ref.run);
    if (run) await engine.renderAll(run);
  }

  /** Cancel: the requester, or anyone who could approve the run's next gate. */
  async function cancel(user: string, runId: number, respond: Respond): Promise<void> {
    const run = await runs.loadRun(db, runId);
    if (!run)
      return respond(
        textMessage(`There is no run #${runId}. \`/deploy-migration status\` lists the latest runs.`),
      );
    if (run.status !== 'running') return respond(textMessage(escKeepingMentions(describeEnd(run))));
    const current = Math.max(
      0,
      run.steps.findIndex((s) => !['succeeded', 'skipped'].includes(s.status)),
    );
    // The approvers of the next gate (or of where the run is now) may stop it, as may its requester.
    const gate = run.steps.slice(current).find((s) => s.name === 'approval') ?? run.steps[current]!;
    const verdict = await authorize(user, 'cancel', gate.env, run);
    if (verdict !== true) {
      await runs.audit(db, { actor: user, action: 'cancel.refused', runId });
      return respond(textMessage(escKeepingMentions(verdict)));
    }
    const d = await engine.advance(runId, { type: 'cancel', at: engine.now(), by: user });
    if (!d.ok) return respond(textMessage(escKeepingMentions(d.refused)));
    await runs.audit(db, { actor: user, action: 'run.cancelled', runId });
  }

  /** Roll back or re-run the blocked verification of a run (the buttons on its card). */
  async function onBlocked(
    user: string,
    ref: StepRef,
    what: 'rollback' | 'rerun',
    respond: Respond,
  ): Promise<void> {
    const run = await runs.loadRun(db, ref.run);
    if (!run) return respond(textMessage(`There is no run #${ref.run}.`));
    if (run.status !== 'running') return respond(textMessage(escKeepingMentions(describeEnd(run))));
    const step = run.steps[ref.step];
    const holding = step?.status === 'blocked' || (what === 'rollback' && step?.status === 'watching');
    if (!holding) {
      await engine.renderAll(run);
      return respond(
        textMessage(
          'That card was out of date: verification is not waiting for a decision. It has been refreshed.',
        ),
      );
    }
    const verdict = await authorize(user, what === 'rollback' ? 'rollback' : 'rerunVerify', step.env, run);
    if (verdict !== true) {
      await runs.audit(db, { actor: user, action: `${what}.refused`, runId: run.id });
      return respond(textMessage(escKeepingMentions(verdict)));
    }
    if (what === 'rollback') {
      // Refuse before anything is recorded when no file of this run can be undone here.
      const plan = await engine.rollbackPlan(run, ref.step);
      if (!plan.undo.length) return respond(textMessage(esc(describeRollback(plan, step.env))));
    }
    const at = engine.now();
    const resume = what === 'rollback' && step.name === 'rollback';
    // Decided and saved first, audited as what happened, and only then carried out (a rollback runs for a while).
    const d = await engine.transition(
      run.id,
      resume
        ? { type: 'resumeRollback', index: ref.step, at, by: user }
        : what === 'rollback'
          ? {
              type: 'rollbackRequested',
              index: ref.step,
              at,
              by: user,
              reason: run.reason ?? `Verification failed on ${step.env}.`,
            }
          : { type: 'rerunVerify', index: ref.step, at, by: user },
    );
    // Audited as what happened: of two clicks at once, one took effect and the other was refused.
    const action = what === 'rollback' ? 'rollback' : 'verify.rerun';
    await runs.audit(db, {
      actor: user,
      action: d.ok
        ? resume
          ? 'rollback.resumed'
          : what === 'rollback'
            ? 'rollback.requested'
            : 'verify.rerun'
        : `${action}.refused`,
      runId: run.id,
      detail: d.ok ? { env: step.env } : { env: step.env, refused: d.refused },
    });
    if (!d.ok) return respond(textMessage(escKeepingMentions(d.refused)));
    await engine.follow(d);
  }

  /** Run verification: one click, one verification, however many replicas Slack's delivery reaches. */
  async function verifyNow(user: string, ref: StepRef, respond: Respond, triggerId?: string): Promise<void> {
    // The same click delivered to another replica too: the first to claim it acts, the others do nothing at all.
    if (triggerId && !(await claimClick(db, `verify:${triggerId}`))) return;
    const run = await runs.loadRun(db, ref.run);
    if (run?.steps[ref.step]?.name !== 'verify')
      return respond(textMessage('That card was out of date; use the latest run card.'));
    if (['pending', 'skipped'].includes(run.steps[ref.step]!.status))
      return respond(
        textMessage(`Run #${run.id} has not reached verification on ${esc(run.steps[ref.step]!.env)} yet.`),
      );
    const verdict = await authorize(user, 'verifyNow', run.steps[ref.step]!.env, run);
    if (verdict !== true) {
      await runs.audit(db, { actor: user, action: 'verify.refused', runId: run.id });
      return respond(textMessage(escKeepingMentions(verdict)));
    }
    await engine.verifyOnDemand(run, ref.step, user);
  }

  /** The scheduler's tick: open windows, expire gates, remind approvers. Safe with several replicas. */
  async function tick(now: Date): Promise<number> {
    const at = now.toISOString();
    const work = await db.transaction(async (tx) => {
      const due = await runs.claimDueGates(tx, now);
      const decisions: Decision[] = [];
      const reminders: { runId: number; index: number }[] = [];
      for (const g of due) {
        if (g.status === 'scheduled' && g.resumeAt && g.resumeAt <= at)
          decisions.push(await engine.transition(g.runId, { type: 'windowOpened', index: g.index, at }, tx));
        else if (g.status === 'waiting' && g.expiresAt && g.expiresAt <= at)
          decisions.push(await engine.transition(g.runId, { type: 'gateExpired', index: g.index, at }, tx));
        else if (g.status === 'waiting' && g.remindAt && g.remindAt <= at) {
          const run = await runs.loadRun(tx, g.runId);
          const every = engine.env(run?.steps[g.index]?.env ?? '')?.remindEveryMs ?? 4 * 3_600_000;
          // Back off: each reminder waits twice as long as the one before.
          await runs.scheduleReminder(
            tx,
            g.runId,
            g.index,
            new Date(now.getTime() + every * 2 ** (g.reminders + 1)),
            g.reminders + 1,
          );
          reminders.push({ runId: g.runId, index: g.index });
        }
      }
      return { decisions, reminders };
    });
    for (const d of work.decisions) if (d.ok) await engine.follow(d);
    for (const r of work.reminders) await remind(r.runId, r.index);
    return work.decisions.length + work.reminders.length;
  }

  async function remind(runId: number, index: number): Promise<void> {
    const run = await runs.loadRun(db, runId);
    if (!run) return;
    const view = await engine.gateView(run, index);
    const p = engine.gatePolicy(view.env);
    const missing = (view.progress?.rules ?? [])
      .filter((r) => r.approvers.length < r.need)
      .map((r) => r.role);
    const mentions = p.rules
      .filter((r) => missing.includes(r.role))
      .flatMap((r) =>
        r.usergroup
          ? [`<!subteam^${r.usergroup}>`]
          : (r.users ?? []).filter((u) => u !== requesterOf(run, index)).map((u) => `<@${u}>`),
      );
    await engine.reply(
      run,
      `reminder:${index}`,
      textMessage(
        `⏰ Reminder: run #${run.id} is waiting for approval on ${esc(view.env)} (still needed: ${missing.map(esc).join(', ') || 'none'}). ${mentions.join(' ')}`,
      ),
    );
  }

  /** Acknowledge or keep watching a critical alert: recorded once, the alert's buttons go. */
  async function acknowledgeAlert(
    user: string,
    ref: AlertRef,
    keep: boolean,
    respond: Respond,
  ): Promise<void> {
    const run = await runs.loadRun(db, ref.run);
    const alert = await findAlert(db, ref.alert);
    if (!run || !alert || alert.runId !== run.id)
      return respond(textMessage('That alert was not found; use the latest one.'));
    // The environment the alert is about (alerts from before this was recorded: where the run is watching).
    const env =
      (alert.stepIndex !== null ? run.steps[alert.stepIndex]?.env : undefined) ??
      run.steps.find((s) => s.status === 'watching')?.env ??
      run.steps.at(-1)!.env;
    const verdict = await authorize(user, 'acknowledge', env, run);
    if (verdict !== true) {
      await runs.audit(db, {
        actor: user,
        action: 'alert.refused',
        runId: run.id,
        detail: { alert: alert.id },
      });
      return respond(textMessage(escKeepingMentions(verdict)));
    }
    const acked = await acknowledge(db, alert.id, user, new Date(engine.now()));
    if (!acked)
      return respond(textMessage(`Already acknowledged by <@${alert.acknowledgedBy}>; nothing changed.`));
    await runs.audit(db, {
      actor: user,
      action: keep ? 'alert.keep_watching' : 'alert.acknowledged',
      runId: run.id,
      detail: { alert: alert.id },
    });
    if (alert.channel && alert.ts) {
      const original = alert.record.message;
      if (original) await chat.update(alert.channel, alert.ts, acknowledgedAlert(original, user, keep));
    }
  }

  return { click, record, cancel, tick, onBlocked, verifyNow, acknowledgeAlert, authorize };
}
