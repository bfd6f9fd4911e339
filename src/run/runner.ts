/**
 * The one writer of runs. Every change to a run, from a command, a click, a step's result or the scheduler, goes
 * through `act`: gather what decide() needs from outside (Slack's user groups) with no lock held → one short
 * transaction {load the run locked, decide, save it if its version still matches, write the decision's records}
 * → after commit, perform the effects. A step's result is the next event, acted on the same way.
 */
import type { Context, Decision, Record } from '../deploy/decision.js';
import { SYSTEM_ACTOR } from '../deploy/decision.js';
import { decide } from '../deploy/machine.js';
import type { Run, RunEvent } from '../deploy/types.js';
import { inRun } from '../observe/log-context.js';
import { acknowledge as acknowledgeAlert, findAlert } from '../store/alerts.js';
import { allApprovals, loadApprovals, recordApproval } from '../store/approvals.js';
import type { Tx } from '../store/db.js';
import * as runs from '../store/runs.js';
import { digestOf } from '../target/files.js';
import type { Deps } from './deps.js';
import { type Asker, createPerform } from './perform.js';
import { groupsNamed, readGroups } from './policy.js';
import { monitorTick } from './ticks.js';

/** What a person hears about a run number that names no run. */
export const noRun = (runId: number) =>
  `There is no run #${runId}. \`/deploy-migration status\` lists the latest runs.`;

async function write(tx: Tx, runId: number, records: readonly Record[]): Promise<void> {
  for (const r of records)
    switch (r.type) {
      case 'audit':
        await runs.audit(tx, { actor: r.actor, action: r.action, runId, detail: r.detail });
        break;
      case 'approval':
        await recordApproval(tx, { runId, ...r });
        break;
      case 'acknowledge':
        if (!(await acknowledgeAlert(tx, r.alert, r.by, new Date(r.at))))
          throw new Error(`alert ${r.alert} was acknowledged outside its run's lock`);
        break;
    }
}

/** Whether deciding `event` needs to know who people are (it was asked by a person). */
const byPerson = (event: RunEvent) => 'by' in event && event.by !== SYSTEM_ACTOR;

export type Runner = ReturnType<typeof createRunner>;

export function createRunner(deps: Deps) {
  const { db, log } = deps;
  // A checkpoint on command is an effect that takes the due checkpoints now, acting on them like the scheduler.
  const perform = createPerform(deps, { monitorTick: (now) => monitorTick(deps, { act, actOn }, now) });

  /** Decide `event` for run `runId` and save it: the transaction holds no network call. */
  async function decideAndSave(runId: number, event: RunEvent): Promise<{ run?: Run; d: Decision }> {
    const groups = byPerson(event) ? await readGroups(deps.chat, groupsNamed(deps.deploy)) : undefined;
    const saved = await db.transaction(async (tx): Promise<{ run?: Run; d: Decision }> => {
      const run = await runs.loadRun(tx, runId, true);
      if (!run) return { d: { ok: false, refused: noRun(runId) } };
      const ctx: Context = {
        policy: deps.policy,
        groups,
        digest: digestOf(run.checksums),
        // A gate's approvals: what a click counts with, and what an expiry says got given.
        approvals:
          event.type === 'approvalClicked' || event.type === 'gateDue'
            ? await loadApprovals(tx, runId, event.index)
            : undefined,
        // A stage's gate: who approved the run's other gates (one person counts in one stage only).
        otherGates:
          event.type === 'approvalClicked' && run.steps[event.index]?.stage !== undefined
            ? await allApprovals(tx, runId)
            : undefined,
        // Acknowledgements of a run's alerts are decided under its row lock: this read is the truth.
        alert:
          event.type === 'acknowledge'
            ? { acknowledgedBy: (await findAlert(tx, event.alert))?.acknowledgedBy ?? undefined }
            : undefined,
      };
      const d = decide(run, event, ctx);
      if (d.ok && d.next !== run && !(await runs.saveRun(tx, d.next, run.version)))
        throw new Error(`run #${runId} changed while it was locked`);
      await write(tx, runId, d.records ?? []);
      return { run, d };
    });
    // Committed: what the transition says is counted (runs started and ended, steps, gate waits).
    if (saved.run && saved.d.ok && saved.d.next !== saved.run)
      deps.metrics.transition(saved.run, saved.d.next, event);
    return saved;
  }

  /**
   * An event of the bot's own (a checkpoint judged) on a run it has just loaded: decided on that copy first; a
   * decision that changes nothing and records nothing (most checkpoints) is performed without taking the run's
   * lock; anything else is acted on as usual, decided again under the lock.
   */
  async function actOn(run: Run, event: RunEvent, shown = true): Promise<Decision> {
    return inRun(run.id, () => actOnRun(run, event, shown));
  }

  async function actOnRun(run: Run, event: RunEvent, shown: boolean): Promise<Decision> {
    const d = decide(run, event, { policy: deps.policy, digest: digestOf(run.checksums) });
    if (!d.ok || d.next !== run || d.records?.length) return act(run.id, event);
    // A run nobody can see (no card) has no card to redraw.
    await follow(shown ? d : { ...d, effects: d.effects.filter((e) => e.type !== 'renderCard') });
    return d;
  }

  /** Act on a run: decide, save, perform. Returns the decision (a refusal is a sentence for the asker). */
  async function act(runId: number, event: RunEvent, asker: Asker = {}): Promise<Decision> {
    return inRun(runId, async () => {
      const { d } = await decideAndSave(runId, event);
      if (d.ok) await follow(d, asker);
      return d;
    });
  }

  /**
   * Perform a decision's effects and keep moving the run until it waits or ends. A step's work is done owning the
   * run; a run recovered by another replica between the save and now is left alone (its version moved on).
   */
  async function follow(d: Decision & { ok: true }, asker: Asker = {}): Promise<void> {
    return inRun(d.next.id, () => followRun(d, asker));
  }

  async function followRun(d: Decision & { ok: true }, asker: Asker): Promise<void> {
    if (!d.effects.some((e) => e.type === 'runStep')) return drive(d, asker);
    return deps.live.hold(d.next.id, async () => {
      const saved = await runs.loadRun(db, d.next.id);
      if (saved?.version === d.next.version) return drive(d, asker);
      log.warn(
        { runId: d.next.id },
        'the run changed before its step began (recovered elsewhere); not starting it',
      );
    });
  }

  async function drive(d: Decision & { ok: true }, asker: Asker): Promise<void> {
    let event = await perform(d.next, d.effects, asker);
    while (event) {
      const { d: next } = await decideAndSave(d.next.id, event);
      if (!next.ok) {
        log.warn({ runId: d.next.id, refused: next.refused }, 'transition refused');
        return;
      }
      event = await perform(next.next, next.effects, {});
    }
  }

  return {
    act,
    actOn,
    follow,
    /** Decide and save without performing (recovery decides owning the run, then follows). */
    decideAndSave,
    perform,
  };
}
