/**
 * What a rollback's down files destroy, read from their parse trees (backup-plan.ts's walk): a column added by the
 * migration and filled since goes with the DROP COLUMN that undoes it. The rollback approval card says it in one
 * line, with whether a backup exists to restore from. Pure.
 */
import type { TouchedSet } from './backup-plan.js';

const qualified = (t: { schema?: string; name: string }) => (t.schema ? `${t.schema}.${t.name}` : t.name);

/** "table audit_log", "column users.nickname", "rows of orders": what the down files drop, empty or rewrite. */
export function lostBy(down: TouchedSet): string[] {
  const out = down.schemas.map((s) => `schema ${s} (every table in it)`);
  for (const t of down.tables) {
    const name = qualified(t);
    if (t.changes.includes('drop')) out.push(`table ${name}`);
    else if (t.changes.includes('truncate')) out.push(`every row of ${name}`);
    else {
      if (t.changes.includes('delete')) out.push(`rows of ${name}`);
      const verb = t.changes.includes('alter') ? 'column' : 'values of';
      for (const c of t.columns) out.push(`${verb} ${name}.${c}`);
    }
  }
  return out;
}

/**
 * The card's line, or undefined when the down files lose nothing the walk can see. `backedUp` is how many tables
 * the backup taken before apply on `env` copied (undefined: no backup was taken there).
 */
export function describeLoss(down: TouchedSet, env: string, backedUp?: number): string | undefined {
  const lost = lostBy(down);
  if (!lost.length) return undefined;
  const shown = lost.length > 6 ? [...lost.slice(0, 6), `${lost.length - 6} more`] : lost;
  const backup =
    backedUp === undefined || backedUp === 0
      ? `no backup on ${env} holds it, so it cannot be restored`
      : `the backup taken before apply on ${env} (${backedUp === 1 ? '1 table' : `${backedUp} tables`}) holds only what was there before the migration`;
  return `Rolling back loses data: the down files drop ${shown.join(', ')}, with whatever was written to them since apply; ${backup}.`;
}
