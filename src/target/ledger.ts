/** The ledger on each target: which files are applied there (and which were rolled back), read and written. */
import type pg from 'pg';
import type { ForeignLedger } from '../deploy/foreign-ledger.js';
import type { LedgerEntry } from '../deploy/ledger.js';
import { LEDGER_SCHEMA } from './client.js';
import type { MigrationFile } from './files.js';
import { recordForeign } from './foreign-writes.js';

export async function ensureLedger(client: pg.ClientBase): Promise<void> {
  await client.query(`create schema if not exists ${LEDGER_SCHEMA};
    create table if not exists ${LEDGER_SCHEMA}.applied_migrations (
      id text primary key, version text not null, checksum text not null,
      applied_at timestamptz not null default now(), applied_by text, run_id integer,
      duration_ms integer not null, statements integer not null, outside_transaction text);
    create table if not exists ${LEDGER_SCHEMA}.rolled_back_migrations (
      id text not null, version text not null, checksum text not null, applied_at timestamptz not null,
      rolled_back_at timestamptz not null default now(), rolled_back_by text, run_id integer,
      reason text, duration_ms integer not null);
    alter table ${LEDGER_SCHEMA}.applied_migrations add column if not exists baselined boolean not null default false`);
}

export async function readLedger(client: pg.ClientBase): Promise<LedgerEntry[]> {
  const exists = await client.query(
    `select to_regclass('${LEDGER_SCHEMA}.applied_migrations') is not null as e`,
  );
  if (!exists.rows[0]?.e) return [];
  const r = await client.query<LedgerEntry>(
    `select id, version, checksum, to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') as "appliedAt",
            applied_by as "appliedBy", run_id as "runId"
     from ${LEDGER_SCHEMA}.applied_migrations order by version`,
  );
  return r.rows;
}

const LEDGER_INSERT = `insert into ${LEDGER_SCHEMA}.applied_migrations
  (id, version, checksum, applied_by, run_id, duration_ms, statements, outside_transaction)
  values ($1, $2, $3, $4, $5, $6, $7, $8)`;

/**
 * Writes what a file did to the ledger, in the file's own transaction (or right after its last statement
 * for files that run outside one).
 */
export type Recorder = (
  client: pg.ClientBase,
  r: { durationMs: number; statements: number; outside: string | null; sql: readonly string[] },
) => Promise<unknown>;

/**
 * The ledger row of an applied file, written by whoever applied it for which run, and the rows other tools'
 * ledgers on the target get for it (foreign-writes.ts), in the same transaction.
 */
export const recordApplied =
  (
    file: MigrationFile,
    ctx: { readonly appliedBy: string; readonly runId: number },
    foreign: readonly ForeignLedger[] = [],
  ): Recorder =>
  async (client, r) => {
    await client.query(LEDGER_INSERT, [
      file.id,
      file.version,
      file.checksum,
      ctx.appliedBy,
      ctx.runId,
      r.durationMs,
      r.statements,
      r.outside,
    ]);
    await recordForeign(client, foreign, file, r);
  };
