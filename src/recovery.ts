/**
 * Runs whose owner is gone: at start and on every scheduler tick, a run that was working (a step running) or never
 * began is ended as interrupted, but only when no live process holds its advisory lock (store/liveness.ts). A
 * replica starting beside a working one leaves that one's runs alone.
 */
import type { Engine } from './engine.js';
import * as runs from './store/runs.js';

export async function recoverOrphans(engine: Engine): Promise<number> {
  let n = 0;
  for (const id of await runs.workingRunIds(engine.db)) {
    const d = await engine.ifOrphaned(id, () =>
      engine.transition(id, { type: 'interrupted', at: engine.now() }),
    );
    if (!d?.ok) continue;
    n++;
    await engine.follow(d);
  }
  return n;
}
