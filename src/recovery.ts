/**
 * Runs whose owner is gone: at start and on every scheduler tick, a run that was working (a step running) or never
 * began is ended as interrupted, but only when no live process holds its advisory lock (store/liveness.ts). A
 * replica starting beside a working one leaves that one's runs alone.
 */
import type { Deps } from './run/deps.js';
import { interruptedEvent } from './run/interrupted-facts.js';
import type { Runner } from './run/runner.js';
import * as runs from './store/runs.js';

/**
 * How long a run must stay unowned, at the same version, before it is recovered: a replica saves a step as running
 * and takes the run's lock a moment later; a run seen unowned in that moment is not taken from it.
 */
const SETTLE_MS = 1_000;

export async function recoverOrphans(deps: Deps, runner: Runner, settleMs = SETTLE_MS): Promise<number> {
  const seen = new Map<number, number>();
  for (const id of await runs.workingRunIds(deps.db)) {
    const version = await deps.live.ifOrphaned(id, async () => (await runs.loadRun(deps.db, id))?.version);
    if (version !== undefined) seen.set(id, version);
  }
  if (!seen.size) return 0;
  await new Promise((r) => setTimeout(r, settleMs));
  let n = 0;
  for (const [id, version] of seen) {
    // What an apply cut short left on its target, read before the run is locked.
    const event = await interruptedEvent(deps, id);
    const d = await deps.live.ifOrphaned(id, async () =>
      (await runs.loadRun(deps.db, id))?.version === version
        ? (await runner.decideAndSave(id, event)).d
        : undefined,
    );
    if (!d?.ok) continue;
    n++;
    await runner.follow(d);
  }
  return n;
}
