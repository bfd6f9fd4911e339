/**
 * The scheduler's tick, as events for the runner: open gates with something due (window, expiry, reminder), and
 * due monitoring checkpoints, measured with no transaction open (monitor-batch.ts), then judged by decide().
 */
import { mapLimit, measureBatch, PARALLEL } from '../monitor-batch.js';
import { inRun, outsideRuns } from '../observe/log-context.js';
import { progressText, unavailableMessage } from '../slack/monitor-blocks.js';
import { claimDueGates } from '../store/due-gates.js';
import * as runs from '../store/runs.js';
import { discoverMigrations } from '../target/files.js';
import type { Deps } from './deps.js';
import { showMonitorMessage, viewOf } from './monitor-view.js';
import type { Act, Actor } from './perform.js';
import { rollbackPlanAt } from './views.js';

/** Gates whose time has come, each decided on its own (a second replica finds nothing due any more). */
export async function gateTick(deps: Deps, act: Act, now: Date): Promise<number> {
  const at = now.toISOString();
  let n = 0;
  for (const g of await claimDueGates(deps.db, now)) {
    const d = await act(g.runId, { type: 'gateDue', index: g.index, at });
    if (d.ok) n++;
  }
  return n;
}

/**
 * Every due checkpoint of every watching run, each exactly once across replicas. It is about no run in particular
 * (a checkpoint taken on command runs it from inside one run's work), and each measured step about its own.
 */
export function monitorTick(
  deps: Deps,
  actor: Actor,
  now: Date,
): Promise<{ runs: number; checkpoints: number }> {
  return outsideRuns(() => tickCheckpoints(deps, actor, now));
}

async function tickCheckpoints(
  deps: Deps,
  actor: Actor,
  now: Date,
): Promise<{ runs: number; checkpoints: number }> {
  let taken = 0;
  let rows = 0;
  for (;;) {
    const batch = await measureBatch(
      deps,
      (env, r, finished, service) => viewOf(deps, env, r, finished, service),
      now,
    );
    // The folder as it is now, for every run's rollback plan (what it would undo if a trigger fires).
    // (With services, each service's folder is read by rollbackPlanAt itself.)
    const folder = deps.deploy.services
      ? undefined
      : discoverMigrations(deps.deploy.migrationsDir, deps.deploy.migrationsLayout);
    const judged = await runs.loadRuns(deps.db, [...new Set(batch.measured.map((m) => m.runId))]);
    await mapLimit(batch.measured, PARALLEL, (m) =>
      inRun(m.runId, async () => {
        deps.metrics.checkpoints(m.env.name, m.stored, now);
        const run = judged.get(m.runId);
        if (!run) return;
        const card = m.messages.find((x) => x.kind === 'card');
        // The monitoring message and notices live in the card's thread: a run with no card has nobody to tell.
        if (card) await showMonitorMessage(deps, run, m.index, m.view, m.messages);
        if (m.firstUnavailable.length && card)
          await deps.chat.post(card.channel, unavailableMessage(m.env.name, m.firstUnavailable), card.ts);
        await actor.actOn(
          run,
          {
            type: 'checkpointJudged',
            index: m.index,
            at: deps.now(),
            judged: m.judged,
            pending: m.pending,
            onDemand: m.onDemand,
            progress: progressText(m.view),
            rollback: rollbackPlanAt(deps, run, m.results, m.index, folder),
          },
          !!card,
        );
      }),
    );
    taken += batch.measured.length;
    rows += batch.rows;
    if (!batch.full) return { runs: taken, checkpoints: rows };
  }
}
