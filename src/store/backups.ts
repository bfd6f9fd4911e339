/** Backups past their keepFor, found from the backup steps the store remembers, and their removal recorded. */
import { sql } from 'drizzle-orm';
import { type BackupResult, backupResultSchema } from '../deploy/backups.js';
import { SYSTEM_ACTOR } from '../deploy/decision.js';
import { whereResult } from '../deploy/step-results.js';
import { parseStored, StoredShapeError } from '../deploy/stored.js';
import type { Tx } from './db.js';

export const REMOVED = 'backup.removed';

/**
 * Backup steps on `env` that copied something and finished before `before`, whose removal is not recorded yet.
 * A stored result that does not parse is reported, not removed (nobody knows what it named).
 */
export async function dueBackups(
  db: Tx,
  env: string,
  before: Date,
): Promise<{ runId: number; index: number; result?: BackupResult; problem?: string }[]> {
  const r = await db.execute<{ run_id: number; idx: number; result: unknown }>(sql`
    select s.run_id, s.idx, s.result from migration_gate_state.steps s
    where s.name = 'backup' and s.status = 'succeeded' and s.env = ${env}
      and s.finished_at < ${before.toISOString()}
      and jsonb_array_length(coalesce(s.result -> 'tables', '[]'::jsonb)) > 0
      and not exists (select 1 from migration_gate_state.audit_events a
        where a.action = ${REMOVED} and a.run_id = s.run_id and (a.detail ->> 'step')::int = s.idx)
    order by s.run_id, s.idx`);
  return r.rows.map((row) => {
    const where = whereResult(row.run_id, row.idx, { env, name: 'backup' });
    try {
      return {
        runId: row.run_id,
        index: row.idx,
        result: parseStored(backupResultSchema, row.result, where),
      };
    } catch (e) {
      if (!(e instanceof StoredShapeError)) throw e;
      return { runId: row.run_id, index: row.idx, problem: e.message };
    }
  });
}

/**
 * Record what was removed. Only when nothing was (another replica got there first, or the copies were dropped by
 * hand) is the record skipped if one exists already, so the bot that removed the copies always says what they were.
 */
export async function recordRemoval(
  db: Tx,
  runId: number,
  detail: {
    step: number;
    env: string;
    keptForMs: number;
    removed: readonly unknown[];
    alreadyGone: string[];
    /** The stored step result could not be read: nothing is known to remove. */
    problem?: string;
  },
): Promise<boolean> {
  const guard = detail.removed.length
    ? sql``
    : sql`where not exists (select 1 from migration_gate_state.audit_events a
        where a.action = ${REMOVED} and a.run_id = ${runId} and (a.detail ->> 'step')::int = ${detail.step})`;
  const r = await db.execute(sql`
    insert into migration_gate_state.audit_events (actor, action, run_id, detail)
    select ${SYSTEM_ACTOR}, ${REMOVED}, ${runId}, ${JSON.stringify(detail)}::jsonb ${guard}`);
  return (r.rowCount ?? 0) > 0;
}
