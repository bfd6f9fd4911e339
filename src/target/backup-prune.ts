/** Backups past their keepFor, dropped from a target: the copies and their catalog rows, in one transaction. */
import type pg from 'pg';
import { BACKUP_SCHEMA } from '../deploy/backups.js';
import { qualified } from './backup.js';

export interface RemovedCopy {
  readonly backup: string;
  readonly table: string;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Drop run `runId`'s copies named `names`. What the catalog knew of is returned (a second bot that comes after the
 * first finds the rows gone and returns nothing); copies already gone are skipped.
 */
export async function dropBackups(
  client: pg.ClientBase,
  runId: number,
  names: readonly string[],
): Promise<RemovedCopy[]> {
  const has = await client.query<{ ok: boolean }>(
    `select to_regclass('${BACKUP_SCHEMA}.backups') is not null as ok`,
  );
  if (!has.rows[0]?.ok) return [];
  await client.query('begin');
  try {
    const gone = await client.query<{
      backup: string;
      schema: string;
      name: string;
      rows: string;
      bytes: string;
    }>(
      `delete from ${BACKUP_SCHEMA}.backups where run_id = $1 and backup_table = any($2::text[])
       returning backup_table as backup, source_schema as schema, source_table as name, rows, bytes`,
      [runId, [...names]],
    );
    for (const r of gone.rows)
      await client.query(`drop table if exists ${qualified(BACKUP_SCHEMA, r.backup)}`);
    await client.query('commit');
    return gone.rows.map((r) => ({
      backup: r.backup,
      table: `${r.schema}.${r.name}`,
      rows: Number(r.rows),
      bytes: Number(r.bytes),
    }));
  } catch (e) {
    await client.query('rollback').catch(() => {});
    throw e;
  }
}
