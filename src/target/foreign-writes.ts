/**
 * Keeping other tools' ledgers true: when the bot applies (or rolls back) a file, the row the tool itself would
 * write goes in, in the same transaction as the bot's own ledger row. docs/ledgers.md says what each gets.
 */
import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type pg from 'pg';
import type { ForeignLedger } from '../deploy/foreign-ledger.js';

/** What the writes need to know about the file that ran. */
export interface RanFile {
  readonly id: string;
  readonly version: string;
  readonly fileName: string;
  readonly text: string;
  readonly checksum: string;
}

/**
 * Flyway's checksum of a script, as its ChecksumCalculator computes it (Flyway 6 and later): CRC32 over each
 * line's UTF-8 bytes without its line break, a byte order mark dropped from the first line, as a signed int.
 */
export function flywayChecksum(text: string): number {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  let crc = 0;
  for (const line of lines) crc = crc32(Buffer.from(line, 'utf8'), crc);
  return crc | 0;
}

/** Flyway's description: the name after the version and its `__`, underscores as spaces. */
const description = (id: string) =>
  id
    .replace(/^[A-Za-z]?\d+(?:[._]\d+)*_{1,2}/, '')
    .replace(/_/g, ' ')
    .trim();

/** The name part of a `<version>_name` id (Supabase keeps it in its `name` column). */
const nameOf = (f: RanFile) => (f.id.startsWith(`${f.version}_`) ? f.id.slice(f.version.length + 1) : f.id);

/** The rows each tool writes for a file it applied. */
export async function recordForeign(
  client: pg.ClientBase,
  ledgers: readonly ForeignLedger[],
  file: RanFile,
  r: { durationMs: number; sql: readonly string[] },
): Promise<void> {
  for (const l of ledgers) {
    const q = l.qualified;
    if (l.tool === 'prisma')
      await client.query(
        `insert into ${q} (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         values ($1, $2, $3, clock_timestamp() - make_interval(secs => $4::float8 / 1000), clock_timestamp(), 1)`,
        [randomUUID(), file.checksum, file.id, r.durationMs],
      );
    else if (l.tool === 'supabase') {
      const cols = ['version'];
      const values: unknown[] = [file.version];
      if (l.columns.includes('name')) cols.push('name') && values.push(nameOf(file));
      if (l.columns.includes('statements'))
        cols.push('statements') && values.push(r.sql.map((s) => s.trim()));
      await client.query(
        `insert into ${q} (${cols.join(', ')}) values (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
        values,
      );
    } else if (l.tool === 'dbmate')
      await client.query(`insert into ${q} (version) values ($1)`, [file.version]);
    else if (l.tool === 'golang-migrate')
      // One row, the newest version: a file older than it (out of order) leaves it as it is.
      await client.query(
        `with older as (delete from ${q} where version < $1)
         insert into ${q} (version, dirty) select $1, false where not exists (select 1 from ${q} where version >= $1)`,
        [file.version],
      );
    else
      await client.query(
        `insert into ${q} (installed_rank, version, description, type, script, checksum, installed_by,
           execution_time, success)
         select coalesce(max(installed_rank), 0) + 1, $1, $2, 'SQL', $3, $4, current_user, $5, true from ${q}`,
        [file.version, description(file.id), file.fileName, flywayChecksum(file.text), r.durationMs],
      );
  }
}

/**
 * What each tool's ledger says once the bot rolled a file back: Prisma marks the row rolled back, Supabase and
 * dbmate lose the version, golang-migrate goes back to `previous` (the version before it in the folder), Flyway
 * gets an undo row as its own `undo` writes.
 */
export async function forgetForeign(
  client: pg.ClientBase,
  ledgers: readonly ForeignLedger[],
  file: RanFile,
  down: { fileName: string; text: string; durationMs: number },
  previous: string | null,
): Promise<void> {
  for (const l of ledgers) {
    const q = l.qualified;
    if (l.tool === 'prisma')
      await client.query(
        `update ${q} set rolled_back_at = now() where migration_name = $1 and rolled_back_at is null`,
        [file.id],
      );
    else if (l.tool === 'supabase' || l.tool === 'dbmate')
      await client.query(`delete from ${q} where version = $1`, [file.version]);
    else if (l.tool === 'golang-migrate')
      await client.query(
        `with gone as (delete from ${q} where version >= $1 returning 1)
         insert into ${q} (version, dirty) select $2, false where $2::bigint is not null and exists (select 1 from gone)`,
        [file.version, previous],
      );
    else
      await client.query(
        `insert into ${q} (installed_rank, version, description, type, script, checksum, installed_by,
           execution_time, success)
         select coalesce(max(installed_rank), 0) + 1, $1::text, $2, 'UNDO_SQL', $3, $4, current_user, $5, true from ${q}
         having bool_or(version = $1::text)`,
        [file.version, description(file.id), down.fileName, flywayChecksum(down.text), down.durationMs],
      );
  }
}
