/**
 * Reading every ledger on a target: the bot's own and those other tools left (Prisma, Supabase, golang-migrate,
 * dbmate, Flyway). Two round trips at most: one to find which tables exist (and their columns), one to read them
 * all. docs/ledgers.md says what each tool's rows mean.
 */
import type pg from 'pg';
import type { ForeignLedger, ForeignRow, Tool } from '../deploy/foreign-ledger.js';
import type { LedgerEntry } from '../deploy/ledger.js';
import { LEDGER_SCHEMA } from './client.js';
import { sha256 } from './files.js';

const FIND = `select n.nspname as schema, c.relname as name,
    array_agg(a.attname::text order by a.attnum) as cols,
    array_agg(format_type(a.atttypid, a.atttypmod) order by a.attnum) as types
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where c.oid = any (array[to_regclass('${LEDGER_SCHEMA}.applied_migrations'), to_regclass('_prisma_migrations'),
    to_regclass('supabase_migrations.schema_migrations'), to_regclass('schema_migrations'),
    to_regclass('flyway_schema_history')]::oid[])
  group by c.oid, n.nspname, c.relname`;

const UTC = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')`;

/** The select each kind of table is read with: src, id, version, checksum, at, by, run_id, kind, ord. */
const READERS: Record<Tool | 'own', (q: string) => string> = {
  // A ledger made before baselines has no `baselined` column: ownReader reads it when it is there.
  own: (q) =>
    `select 'own', id, version, checksum, ${UTC('applied_at')}, applied_by, run_id, null, version from ${q}`,
  prisma: (q) =>
    `select 'prisma', migration_name, migration_name, checksum, ${UTC('finished_at')}, null, null,
       case when finished_at is null then 'failed' end, ${UTC('started_at')} from ${q} where rolled_back_at is null`,
  supabase: (q) =>
    `select 'supabase', null, version::text, null, null, null, null, null, version::text from ${q}`,
  'golang-migrate': (q) =>
    `select 'golang-migrate', null, version::text, null, null, null, null,
       case when dirty then 'failed' else 'upto' end, null from ${q}`,
  dbmate: (q) =>
    `select 'dbmate', null, version::text, null, null, null, null, null, version::text from ${q}`,
  // Checksums are not read: Flyway's CRC32 depends on its version and settings (docs/ledgers.md).
  flyway: (q) =>
    `select 'flyway', script, version, null, to_char(installed_on, 'YYYY-MM-DD HH24:MI:SS'), installed_by, null,
       case when type like '%BASELINE' then 'upto' when type = 'DELETE' or type like 'UNDO%' then 'undone'
         else 'applied' end, lpad(installed_rank::text, 12, '0')
     from ${q} where success and version is not null`,
};

/** The `kind` of a row of the bot's own ledger that a baseline wrote. */
const BASELINED = 'baselined';

function readerOf(f: Found): string {
  if (f.tool === 'own' && f.columns.includes('baselined'))
    return `select 'own', id, version, checksum, ${UTC('applied_at')}, applied_by, run_id,
       case when baselined then '${BASELINED}' end, version from ${f.qualified}`;
  return READERS[f.tool](f.qualified);
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

interface Found {
  readonly tool: Tool | 'own';
  readonly qualified: string;
  readonly table: string;
  readonly columns: string[];
}

/** Which kind of ledger a table is, by its schema, name and columns; null for a table of the same name that is not one. */
function classify(t: { schema: string; name: string; cols: string[]; types: string[] }): Tool | 'own' | null {
  const type = (c: string) => t.types[t.cols.indexOf(c)] ?? '';
  const has = (...cs: string[]) => cs.every((c) => t.cols.includes(c));
  if (t.schema === LEDGER_SCHEMA) return 'own';
  if (t.name === '_prisma_migrations')
    return has('migration_name', 'checksum', 'finished_at', 'rolled_back_at', 'started_at') ? 'prisma' : null;
  if (t.name === 'flyway_schema_history')
    return has('installed_rank', 'version', 'type', 'script', 'success') ? 'flyway' : null;
  if (t.schema === 'supabase_migrations') return has('version') ? 'supabase' : null;
  // golang-migrate: version bigint + dirty boolean; dbmate: version varchar and nothing else it needs.
  if (has('version', 'dirty') && /^(bigint|integer)$/.test(type('version'))) return 'golang-migrate';
  if (has('version') && !has('dirty') && /^(character varying|text|character)/.test(type('version')))
    return 'dbmate';
  return null;
}

export interface Ledgers {
  /** The bot's own ledger (migration_gate.applied_migrations). */
  readonly own: LedgerEntry[];
  readonly foreign: ForeignLedger[];
}

/**
 * Every ledger on the target. `files`, when given, lets a Prisma checksum taken with other line endings (git's
 * autocrlf) match, as Prisma itself accepts it.
 */
export async function readLedgers(
  client: pg.ClientBase,
  files: readonly { id: string; text: string; checksum: string }[] = [],
): Promise<Ledgers> {
  const tables = (await client.query<{ schema: string; name: string; cols: string[]; types: string[] }>(FIND))
    .rows;
  const found: Found[] = [];
  for (const t of tables) {
    const tool = classify(t);
    if (tool)
      found.push({
        tool,
        qualified: `${quote(t.schema)}.${quote(t.name)}`,
        table: t.schema === 'public' ? t.name : `${t.schema}.${t.name}`,
        columns: t.cols,
      });
  }
  if (!found.length) return { own: [], foreign: [] };
  const rows = (
    await client.query<{
      src: string;
      id: string | null;
      version: string;
      checksum: string | null;
      at: string | null;
      by: string | null;
      run_id: number | null;
      kind: ForeignRow['kind'] | typeof BASELINED | null;
    }>(
      `select * from (${found.map((f) => `(${readerOf(f)})`).join(' union all ')})
         as l(src, id, version, checksum, at, by, run_id, kind, ord) order by src, ord`,
    )
  ).rows;
  const own = rows
    .filter((r) => r.src === 'own')
    .map((r) => ({
      id: r.id!,
      version: r.version,
      checksum: r.checksum!,
      appliedAt: r.at!,
      appliedBy: r.by,
      runId: r.run_id,
      ...(r.kind === BASELINED ? { baselined: true } : {}),
    }));
  const byFile = new Map(files.map((f) => [f.id, f]));
  const foreign = found
    .filter((f): f is Found & { tool: Tool } => f.tool !== 'own')
    .map(
      (f): ForeignLedger => ({
        tool: f.tool,
        table: f.table,
        qualified: f.qualified,
        columns: f.columns,
        rows: rows
          .filter((r) => r.src === f.tool)
          .map((r) => ({
            version: r.version,
            ...(r.checksum ? { checksum: sameText(r.checksum, byFile.get(r.version)) } : {}),
            ...(r.at ? { appliedAt: r.at } : {}),
            ...(r.kind && r.kind !== BASELINED ? { kind: r.kind } : {}),
          })),
      }),
    );
  return { own, foreign };
}

/** A Prisma checksum of the same file with other line endings is the file's (Prisma's script_matches_checksum). */
function sameText(checksum: string, file: { text: string; checksum: string } | undefined): string {
  if (!file || checksum === file.checksum) return checksum;
  const lf = file.text.replace(/\r\n/g, '\n');
  const alternates = [sha256(lf), sha256(lf.replace(/\n/g, '\r\n'))];
  return alternates.includes(checksum) ? file.checksum : checksum;
}
