/** The runs in flight (status `running`), oldest first, for `migration-gate status`. */
import { asc, eq } from 'drizzle-orm';
import type { Run } from '../deploy/types.js';
import type { Tx } from './db.js';
import { loadRuns } from './runs.js';
import { runs } from './schema.js';

export async function runsInFlight(db: Tx): Promise<Run[]> {
  const ids = await db
    .select({ id: runs.id })
    .from(runs)
    .where(eq(runs.status, 'running'))
    .orderBy(asc(runs.id));
  const loaded = await loadRuns(
    db,
    ids.map((r) => r.id),
  );
  return ids.flatMap((r) => loaded.get(r.id) ?? []);
}
