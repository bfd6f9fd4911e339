/** Moves runs: load → decide → save → perform effects. Shared by commands, clicks and the scheduler. */

import type { DeployConfig, Environment } from './config.js';
import { type Approval, type GatePolicy, progress } from './deploy/approvals.js';
import { decide } from './deploy/machine.js';
import { redactDeep } from './deploy/redact.js';
import type { ApplyResult, PreflightResult, StepOutcome } from './deploy/results.js';
import { boundDowns, planRollback, type RollbackPlan } from './deploy/rollback-plan.js';
import { latestResult, resultOf, type StepResults } from './deploy/step-results.js';
import type { Decision, Effect, Policy, Run, RunEvent } from './deploy/types.js';
import type { Logger } from './log.js';
import { postReport } from './reporting.js';
import { runRollback } from './rollback-step.js';
import { applyReply, preflightReply } from './slack/blocks.js';
import type { Chat } from './slack/chat.js';
import { checksReply, rollbackReply } from './slack/check-blocks.js';
import { approvalCard, type GateView } from './slack/gate-blocks.js';
import type { Message } from './slack/mrkdwn.js';
import { runCard } from './slack/run-card.js';
import { runApply, runPreflight } from './steps.js';
import type { Store } from './store/db.js';
import { measureFor, storeFootprints } from './store/footprints.js';
import { liveness } from './store/liveness.js';
import * as runs from './store/runs.js';
import { digestOf, discoverMigrations } from './target/files.js';
import { narrowedTo } from './target/footprint.js';
import { migrationsToVerify, runVerify } from './verification.js';

export interface EngineDeps {
  readonly store: Store;
  readonly deploy: DeployConfig;
  readonly chat: Chat;
  readonly log: Logger;
  readonly secrets: readonly string[];
  readonly now?: () => Date;
}

export type Engine = ReturnType<typeof createEngine>;

export function createEngine(deps: EngineDeps) {
  const { store, deploy, chat, log } = deps;
  const db = store.db;
  /** The bot's own work on each target, kept out of every figure it reports (see target/footprint.ts). */
  const footprints = storeFootprints(db, measureFor(deploy.monitoring.metrics));
  const clock = () => (deps.now ?? (() => new Date()))();
  const now = () => clock().toISOString();
  const env = (name: string): Environment | undefined => deploy.environments.find((e) => e.name === name);
  const policy: Policy = {
    gateTtlMs: (name) => env(name)?.expiresAfterMs ?? 3 * 86_400_000,
    gated: (name) => (env(name)?.approvals.length ?? 0) > 0,
  };
  const inflight = new Set<Promise<unknown>>();
  /** This process owns the runs it works on (their advisory locks); recovery takes only runs nobody owns. */
  const live = liveness(store.pool);
  /** Set by the monitor (built on this engine): start a monitor step; its progress for the card. */
  const hooks: {
    startMonitor?: (run: Run, index: number) => Promise<void>;
    monitorLabel?: (run: Run, index: number) => Promise<string>;
  } = {};

  /** Slow work continues after the Slack ack; failures are logged, never unhandled. */
  function background(what: string, work: () => Promise<unknown>): void {
    // setImmediate: let the HTTP acks of requests that arrived together go out before any of their work starts.
    const p = new Promise((resolve) => setImmediate(resolve))
      .then(work)
      .catch((e) => log.error({ err: e }, `${what} failed`))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }

  function gatePolicy(name: string): GatePolicy {
    const e = env(name);
    return { env: name, rules: e?.approvals ?? [], allowSelfApproval: e?.allowSelfApproval ?? false };
  }

  /** Members of every user group in a gate's rules (throws when Slack cannot tell: callers fail closed). */
  async function groupsFor(p: GatePolicy): Promise<Record<string, string[]>> {
    const ids = [...new Set(p.rules.flatMap((r) => (r.usergroup ? [r.usergroup] : [])))];
    return Object.fromEntries(
      await Promise.all(ids.map(async (g) => [g, await chat.groupMembers(g)] as const)),
    );
  }

  async function gateView(run: Run, index: number, approvals?: Approval[]): Promise<GateView> {
    const step = run.steps[index]!;
    const p = gatePolicy(step.env);
    const list = approvals ?? (await runs.loadApprovals(db, run.id, index));
    const groups = await groupsFor(p).catch(() => undefined);
    const results = await runs.loadStepResults(db, run.id);
    return {
      env: step.env,
      index,
      digest: digestOf(run.checksums),
      approvals: list,
      progress: groups ? progress(p, list, groups) : undefined,
      window: env(step.env)?.window,
      ...(step.purpose === 'rollback'
        ? { rollback: rollbackPlanAt(run, results, index) }
        : { files: resultOf(run, results, index, 'preflight')?.pending }),
    };
  }

  /** What a rollback of the environment of step `index` would undo: this run's files applied there. */
  function rollbackPlanAt(run: Run, results: StepResults, index: number): RollbackPlan {
    const apply = latestResult(results, 'apply', run.steps[index]!.env, index + 1);
    const applied = apply?.files.map((f) => f.id) ?? [];
    const downs = new Set(
      discoverMigrations(deploy.migrationsDir)
        .migrations.filter((m) => m.downPath)
        .map((m) => m.id),
    );
    return planRollback(
      applied,
      boundDowns(run.checksums, (id) => downs.has(id)),
    );
  }

  async function gateViews(run: Run): Promise<Map<number, GateView>> {
    const out = new Map<number, GateView>();
    for (const [i, s] of run.steps.entries())
      if (s.name === 'approval' && (s.status === 'waiting' || s.status === 'scheduled'))
        out.set(i, await gateView(run, i));
    return out;
  }

  async function monitorLabels(run: Run): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const [i, s] of run.steps.entries())
      if (s.status === 'watching' && hooks.monitorLabel) out.set(i, await hooks.monitorLabel(run, i));
    return out;
  }

  /** Decide and save, retrying when another writer saved first. Inside `tx` when given (the caller holds the row lock). */
  async function transition(runId: number, event: RunEvent, tx: runs.Tx = db): Promise<Decision> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const run = await runs.loadRun(tx, runId);
      if (!run) return { ok: false, refused: `There is no run #${runId}.` };
      const d = decide(run, event, policy);
      if (!d.ok) return d;
      if (await runs.saveRun(tx, d.next, run.version)) return d;
    }
    throw new Error(`run #${runId} kept changing under us; gave up after 5 attempts`);
  }

  async function update(runId: number, kind: string, message: Message): Promise<void> {
    const ref = await runs.findMessage(db, runId, kind);
    if (!ref) return;
    // The cards are views of the state: failing to redraw one is logged, never allowed to stop a run.
    await chat
      .update(ref.channel, ref.ts, message)
      .catch((e: Error) => log.warn({ runId, kind, error: e.message }, 'could not update a card'));
  }

  async function reply(run: Run, kind: string, message: Message): Promise<void> {
    const card = await runs.findMessage(db, run.id, 'card');
    if (!card) return;
    const ts = await chat.post(card.channel, message, card.ts);
    await runs.rememberMessage(db, run.id, kind, card.channel, ts);
  }

  /** Do one step's work against its target; post what it measured in the thread. */
  async function work(
    run: Run,
    index: number,
    e: Environment,
  ): Promise<{ outcome: StepOutcome<unknown>; message: Message }> {
    const step = run.steps[index]!;
    const results = ['apply', 'verify', 'rollback'].includes(step.name)
      ? await runs.loadStepResults(db, run.id)
      : new Map();
    switch (step.name) {
      case 'preflight': {
        const outcome = await runPreflight(deploy, e, run.migration, run, footprints);
        return { outcome, message: preflightReply(outcome.result) };
      }
      case 'apply': {
        const outcome = await runApply(deploy, e, run.migration, {
          runId: run.id,
          appliedBy: run.requestedBy,
          checksums: run.checksums,
          footprints,
          expected: resultOf(run, results, index, 'preflight')?.pending.map((p) => p.id),
        });
        return { outcome, message: applyReply(outcome.result) };
      }
      case 'verify': {
        const apply = resultOf(run, results, index, 'apply');
        const outcome = await runVerify(
          e,
          migrationsToVerify(deploy, run.migration, apply?.files.map((f) => f.id) ?? []),
          resultOf(run, results, index, 'preflight'),
          // seq_scans counts the run's touched tables: the checks' own scans are read for those alone.
          narrowedTo(footprints, apply?.touchedTables),
          { runId: run.id, checksums: run.checksums },
        );
        return { outcome, message: checksReply(outcome.result) };
      }
      case 'rollback': {
        const outcome = await runRollback(deploy, e, resultOf(run, results, index, 'apply'), {
          runId: run.id,
          by: run.endedBy ?? run.requestedBy,
          reason: run.reason ?? 'rollback',
          footprints,
          checksums: run.checksums,
        });
        return { outcome, message: rollbackReply(outcome.result) };
      }
      case 'approval':
      case 'monitor':
        throw new Error(`a${step.name === 'approval' ? 'n approval' : ' monitor'} step is not work`);
    }
  }

  async function executeStep(run: Run, index: number): Promise<RunEvent> {
    const step = run.steps[index]!;
    const e = env(step.env);
    const started = performance.now();
    let outcome: StepOutcome<unknown> = {
      ok: false,
      summary: 'failed',
      reason: `Environment ${step.env} is no longer in deploy.yml.`,
      result: undefined,
    };
    if (e) {
      const done = await work(run, index, e);
      outcome = done.outcome;
      await runs.saveStepResult(db, run.id, index, redactDeep(outcome.result, deps.secrets));
      await reply(run, `step:${index}`, done.message);
    }
    const durationMs = Math.round(performance.now() - started);
    const at = now();
    const partial =
      step.name === 'apply' && ((outcome.result as ApplyResult | undefined)?.files.length ?? 0) > 0;
    const nothingToApply =
      step.name === 'preflight' && (outcome.result as PreflightResult | undefined)?.alreadyApplied === true;
    return outcome.ok
      ? {
          type: 'stepSucceeded',
          index,
          at,
          durationMs,
          summary: outcome.summary,
          ...(nothingToApply ? { nothingToApply } : {}),
        }
      : {
          type: 'stepFailed',
          index,
          at,
          durationMs,
          summary: outcome.summary,
          reason: outcome.reason ?? 'failed',
          ...(partial ? { partial } : {}),
        };
  }

  /** Carry out what decide() asked for; a step's result is the next event. */
  async function perform(run: Run, effects: readonly Effect[]): Promise<RunEvent | undefined> {
    let next: RunEvent | undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'renderCard':
          await update(run.id, 'card', runCard(run, await gateViews(run), await monitorLabels(run)));
          break;
        case 'openGate': {
          await reply(run, `gate:${effect.index}`, approvalCard(run, await gateView(run, effect.index)));
          const e = env(run.steps[effect.index]!.env);
          if (e)
            await runs.scheduleReminder(
              db,
              run.id,
              effect.index,
              new Date(clock().getTime() + e.remindEveryMs),
              0,
            );
          break;
        }
        case 'renderGate':
          await update(run.id, `gate:${effect.index}`, approvalCard(run, await gateView(run, effect.index)));
          break;
        case 'report':
          await postReport({ db, deploy, chat, log }, run);
          log.info({ runId: run.id, status: run.status }, 'run ended');
          break;
        case 'runStep':
          next = await executeStep(run, effect.index);
          break;
        case 'startMonitor':
          await hooks.startMonitor?.(run, effect.index);
          break;
      }
    }
    return next;
  }

  /**
   * Perform a decision's effects and keep moving the run until it waits or ends. A step's work is done owning the
   * run; a run recovered by another replica between the save and now is left alone (its version moved on).
   */
  async function follow(d: Decision & { ok: true }): Promise<void> {
    if (!d.effects.some((e) => e.type === 'runStep')) return drive(d);
    return live.hold(d.next.id, async () => {
      const saved = await runs.loadRun(db, d.next.id);
      if (saved?.version === d.next.version) return drive(d);
      log.warn(
        { runId: d.next.id },
        'the run changed before its step began (recovered elsewhere); not starting it',
      );
    });
  }

  async function drive(d: Decision & { ok: true }): Promise<void> {
    let event = await perform(d.next, d.effects);
    while (event) {
      const next = await transition(d.next.id, event);
      if (!next.ok) {
        log.warn({ runId: d.next.id, refused: next.refused }, 'transition refused');
        return;
      }
      event = await perform(next.next, next.effects);
    }
  }

  async function advance(runId: number, event: RunEvent): Promise<Decision> {
    const d = await transition(runId, event);
    if (d.ok) await follow(d);
    return d;
  }

  /** Run a verify step's checks again, now, without changing the run; post the table in the thread. */
  async function verifyOnDemand(run: Run, index: number, by: string): Promise<void> {
    const e = env(run.steps[index]!.env);
    if (!e) return;
    const results = await runs.loadStepResults(db, run.id);
    const apply = resultOf(run, results, index, 'apply');
    const outcome = await runVerify(
      e,
      migrationsToVerify(deploy, run.migration, apply?.files.map((f) => f.id) ?? []),
      resultOf(run, results, index, 'preflight'),
      narrowedTo(footprints, apply?.touchedTables),
      { runId: run.id, checksums: run.checksums },
      true,
    );
    await runs.audit(db, {
      actor: by,
      action: 'verify.on_demand',
      runId: run.id,
      detail: { env: e.name, summary: outcome.summary },
    });
    const message = checksReply(outcome.result, `Verification on ${e.name}, run now by <@${by}>`);
    const card = await runs.findMessage(db, run.id, 'card');
    if (card) await chat.post(card.channel, message, card.ts);
  }

  return {
    db,
    deploy,
    footprints,
    hooks,
    clock,
    verifyOnDemand,
    now,
    env,
    gatePolicy,
    groupsFor,
    gateView,
    rollbackPlan: async (run: Run, index: number) =>
      rollbackPlanAt(run, await runs.loadStepResults(db, run.id), index),
    transition,
    follow,
    hold: live.hold,
    ifOrphaned: live.ifOrphaned,
    advance,
    background,
    update,
    reply,
    renderCard: async (run: Run) =>
      update(run.id, 'card', runCard(run, await gateViews(run), await monitorLabels(run))),
    renderAll: async (run: Run) => {
      await update(run.id, 'card', runCard(run, await gateViews(run), await monitorLabels(run)));
      for (const [i, s] of run.steps.entries())
        if (s.name === 'approval' && s.status !== 'pending')
          await update(run.id, `gate:${i}`, approvalCard(run, await gateView(run, i)));
    },
    idle: async () => {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
  };
}
