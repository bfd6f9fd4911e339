import type { Tx } from './db.js';
import { clickClaims } from './schema.js';

/**
 * Claim one Slack interaction by its key (the trigger id Slack gives each click): true for the first replica to
 * ask, false for every other delivery of the same click.
 */
export async function claimClick(db: Tx, key: string, runId?: number): Promise<boolean> {
  const rows = await db
    .insert(clickClaims)
    .values({ key, runId: runId ?? null })
    .onConflictDoNothing()
    .returning({ key: clickClaims.key });
  return rows.length === 1;
}
