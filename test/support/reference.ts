/**
 * The reference a layout's deploy is compared with: the same files applied the tool's own way with psql, and
 * `pg_dump -s` of both (publications, policies, triggers and enum labels included).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from './pg.js';

/**
 * One file as the tool sends it: `one` in a transaction of its own (`psql -1 -f`), `none` statement by statement
 * with the file's own BEGIN/COMMIT if it has them (`psql -f`), `request` the whole text in one simple query, one
 * implicit transaction (`psql -c`, what golang-migrate's driver does).
 */
export interface PsqlStep {
  readonly text: string;
  readonly transaction: 'one' | 'none' | 'request';
}

/** Apply `steps` in order with psql to `url` (a fresh database when not given); returns the database's URL. */
export async function applyWithPsql(steps: readonly PsqlStep[], url?: string): Promise<string> {
  const target = url ?? (await createTestDatabase('mg_ref'));
  const dir = mkdtempSync(join(tmpdir(), 'mg-ref-'));
  steps.forEach((s, i) => {
    const file = join(dir, `${i}.sql`);
    writeFileSync(file, s.text);
    const how =
      s.transaction === 'request' ? ['-c', s.text] : [...(s.transaction === 'one' ? ['-1'] : []), '-f', file];
    execFileSync('psql', [target, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...how], { stdio: 'pipe' });
  });
  return target;
}

/**
 * The schema as `pg_dump -s` writes it, without the bot's ledger schema and the tools' ledgers (the reference has
 * none), and without pg_dump's per-run `\restrict` key lines.
 */
export function schemaDump(url: string): string {
  const out = execFileSync(
    'pg_dump',
    [
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      '--exclude-schema=migration_gate',
      '--exclude-schema=supabase_migrations',
      '--exclude-table=public.schema_migrations',
      '--exclude-table=public.flyway_schema_history',
      url,
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l))
    .join('\n');
}
