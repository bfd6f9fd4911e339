/**
 * The backup before apply: the tables the pending files change, copied into BACKUP_SCHEMA of the same database in
 * one repeatable-read transaction (one snapshot for every copy; nothing is left behind when it fails).
 */
import type pg from 'pg';
import type { TouchedSet } from '../deploy/backup-plan.js';
import { BACKUP_SCHEMA, type BackedUpTable, type BackupColumn, backupName } from '../deploy/backups.js';
import { applySettings, type Settings } from './session-settings.js';

/** A name quoted for SQL: `"Orders"`, `"a""b"`. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const qualified = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;

/** The catalog of copies in each target: what each is a copy of, for which run, how big, since when. */
export const CATALOG_DDL = `create table if not exists ${BACKUP_SCHEMA}.backups (
  run_id integer not null,
  backup_table text not null,
  source_schema text not null,
  source_table text not null,
  rows bigint not null,
  bytes bigint not null,
  created_at timestamptz not null default now(),
  primary key (run_id, backup_table))`;

/** Schemas whose tables are never copied: PostgreSQL's own and the bot's. */
const OWN_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast', 'migration_gate', BACKUP_SCHEMA];

/**
 * Each name resolved as the migration's session would resolve it (to_regclass under the session's search_path),
 * with what a copy and a restore need: kind, columns (their types, and whether the type lives outside pg_catalog),
 * primary key. Tables of dropped schemas are listed by schema.
 */
const RESOLVE_SQL = `with named as (
  select t.i::int as i, to_regclass(t.q) as oid from unnest($1::text[]) with ordinality t(q, i)
), found as (
  select n.i, c.oid from named n join pg_class c on c.oid = n.oid
  union all
  select null, c.oid from pg_class c join pg_namespace s on s.oid = c.relnamespace
   where s.nspname = any($2::text[]) and c.relkind in ('r', 'p') and not c.relispartition
)
select f.i, c.oid::int8 as oid, s.nspname as schema, c.relname as name, c.relkind as kind,
  (select coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
      'asText', coalesce(et.typnamespace, t.typnamespace) <> 'pg_catalog'::regnamespace
        or t.typtype = 'd', 'notNull', a.attnotnull) order by a.attnum), '[]')
     from pg_attribute a join pg_type t on t.oid = a.atttypid left join pg_type et on et.oid = t.typelem and t.typcategory = 'A'
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
  (select coalesce(json_agg(a.attname order by k.ord), '[]')
     from pg_index x cross join unnest(x.indkey) with ordinality k(attnum, ord)
     join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
    where x.indrelid = c.oid and x.indisprimary) as primary_key
from found f join pg_class c on c.oid = f.oid join pg_namespace s on s.oid = c.relnamespace`;

interface Resolved {
  i: number | null;
  oid: string;
  schema: string;
  name: string;
  kind: string;
  columns: BackupColumn[];
  primary_key: string[];
}

export interface BackupOutcome {
  readonly tables: BackedUpTable[];
  readonly skipped: { table: string; why: string }[];
}

const KINDS: Record<string, string> = {
  v: 'is a view',
  m: 'is a materialized view',
  f: 'is a foreign table',
  S: 'is a sequence',
  i: 'is an index',
};

/**
 * Copy what `touched` names into BACKUP_SCHEMA as `run<id>_<table>`. `settings` are the environment's (its
 * search_path resolves unqualified names as the migration will); the timeouts bound the copy like a migration.
 */
export async function backupTables(
  client: pg.ClientBase,
  touched: TouchedSet,
  ctx: { runId: number; settings: Settings; lockTimeoutMs: number; statementTimeoutMs: number },
): Promise<BackupOutcome> {
  await client.query(
    `select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)`,
    [`${ctx.lockTimeoutMs}ms`, `${ctx.statementTimeoutMs}ms`],
  );
  await applySettings(client, ctx.settings, false);
  const asWritten = touched.tables.map((t) => (t.schema ? qualified(t.schema, t.name) : ident(t.name)));
  const found = (await client.query<Resolved>(RESOLVE_SQL, [asWritten, touched.schemas])).rows;
  const skipped: { table: string; why: string }[] = [];
  const byOid = new Map<string, { r: Resolved; changes: Set<string>; rows: boolean; columns: Set<string> }>();
  for (const [i, t] of touched.tables.entries()) {
    const label = t.schema ? `${t.schema}.${t.name}` : t.name;
    const r = found.find((f) => f.i === i + 1);
    if (!r) {
      skipped.push({
        table: label,
        why: 'does not exist before apply (the migration creates it, or it is gone)',
      });
      continue;
    }
    if (r.kind !== 'r' && r.kind !== 'p') {
      skipped.push({ table: label, why: KINDS[r.kind] ?? `is not a table (relkind ${r.kind})` });
      continue;
    }
    if (OWN_SCHEMAS.includes(r.schema)) {
      skipped.push({ table: label, why: 'belongs to PostgreSQL or migration-gate' });
      continue;
    }
    const e = byOid.get(r.oid) ?? { r, changes: new Set(), rows: false, columns: new Set() };
    byOid.set(r.oid, e);
    for (const c of t.changes) e.changes.add(c);
    e.rows ||= t.rows;
    for (const c of t.columns) e.columns.add(c);
  }
  for (const r of found.filter((f) => f.i === null && !OWN_SCHEMAS.includes(f.schema)))
    if (!byOid.has(r.oid))
      byOid.set(r.oid, { r, changes: new Set(['drop']), rows: true, columns: new Set() });
  if (!byOid.size) return { tables: [], skipped };

  await client.query('begin isolation level repeatable read');
  try {
    await client.query(`create schema if not exists ${BACKUP_SCHEMA}`);
    await client.query(CATALOG_DDL);
    const taken = new Set(
      (
        await client.query<{ n: string }>(
          `select relname as n from pg_class where relnamespace = '${BACKUP_SCHEMA}'::regnamespace`,
        )
      ).rows.map((x) => x.n),
    );
    const tables: BackedUpTable[] = [];
    for (const { r, changes, rows, columns } of byOid.values()) {
      const backup = backupName(ctx.runId, r.schema, r.name, Number(r.oid), taken);
      taken.add(backup);
      const select = r.columns
        .map((c) => (c.asText ? `${ident(c.name)}::text as ${ident(c.name)}` : ident(c.name)))
        .join(', ');
      // A plain table's inheritance children are tables of their own; a partitioned table's rows are its partitions'.
      const from = `${r.kind === 'p' ? '' : 'only '}${qualified(r.schema, r.name)}`;
      const copied = await client.query(
        `create table ${qualified(BACKUP_SCHEMA, backup)} as select ${select || '*'} from ${from}`,
      );
      const size = await client.query<{ bytes: string }>(
        'select pg_total_relation_size($1::regclass)::int8 as bytes',
        [qualified(BACKUP_SCHEMA, backup)],
      );
      const bytes = Number(size.rows[0]!.bytes);
      await client.query(
        `insert into ${BACKUP_SCHEMA}.backups (run_id, backup_table, source_schema, source_table, rows, bytes)
         values ($1, $2, $3, $4, $5, $6)`,
        [ctx.runId, backup, r.schema, r.name, copied.rowCount ?? 0, bytes],
      );
      const live = new Set(r.columns.map((c) => c.name));
      tables.push({
        schema: r.schema,
        name: r.name,
        backup,
        rows: copied.rowCount ?? 0,
        bytes,
        changes: [...changes] as BackedUpTable['changes'],
        restoreRows: rows,
        restoreColumns: [...columns].filter((c) => live.has(c)),
        columns: r.columns,
        primaryKey: r.primary_key,
      });
    }
    await client.query('commit');
    return { tables, skipped };
  } catch (e) {
    await client.query('rollback').catch(() => {});
    throw e;
  }
}
