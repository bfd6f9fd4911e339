/**
 * Runs whose owner is gone: at start and on every scheduler tick, a run that was working (a step running) or never
 * began is ended as interrupted, but only when no live process holds its advisory lock (store/liveness.ts). A
 * replica starting beside a working one leaves that one's runs alone.
 */
import type { Engine } from './engine.js';
import * as runs from './store/runs.js';

/**
 * How long a run must stay unowned, at the same version, before it is recovered: a replica saves a step as running
 * and takes the run's lock a moment later; a run seen unowned in that moment is not taken from it.
 */
const SETTLE_MS = 1_000;

export async function recoverOrphans(engine: Engine, settleMs = SETTLE_MS): Promise<number> {
  const seen = new Map<number, number>();
  for (const id of await runs.workingRunIds(engine.db)) {
    const version = await engine.ifOrphaned(id, async () => (await runs.loadRun(engine.db, id))?.version);
    if (version !== undefined) seen.set(id, version);
  }
  if (!seen.size) return 0;
  await new Promise((r) => setTimeout(r, settleMs));
  let n = 0;
  for (const [id, version] of seen) {
    const d = await engine.ifOrphaned(id, async () =>
      (await runs.loadRun(engine.db, id))?.version === version
        ? engine.transition(id, { type: 'interrupted', at: engine.now() })
        : undefined,
    );
    if (!d?.ok) continue;
    n++;
    await engine.follow(d);
  }
  return n;
}
