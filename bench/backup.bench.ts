/**
 * The backup before apply of a 1,000,000-row table (src/target/backup.ts: a copy into migration_gate_backup inside
 * the database) against `pg_dump --table` of the same table to a file, in the same run; and the restore of its rows
 * after a TRUNCATE against `psql -f` of a data-only dump. Each side runs three times, alternating; medians.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { touchedTables } from '../src/deploy/backup-plan.js';
import type { BackedUpTable } from '../src/deploy/backups.js';
import { sizeText } from '../src/deploy/backups.js';
import { parseMigration } from '../src/lint/parse.js';
import { backupTables } from '../src/target/backup.js';
import { withTargetClient } from '../src/target/client.js';
import { unrecorded } from '../src/target/footprint.js';
import { restoreTables } from '../src/target/restore.js';
import { loadParser } from '../src/target/sql.js';
import { type BenchPg, ms, table, which } from './support.js';

const ROWS = 1_000_000;
const TIMEOUTS = { lockTimeoutMs: 5000, statementTimeoutMs: 600_000 };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function sql(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

export async function benchBackup(pgs: BenchPg): Promise<string> {
  const pgDump = which('pg_dump');
  const psql = which('psql');
  if (!pgDump || !psql)
    return 'pg_dump or psql is missing: apt-get install -y postgresql-client (the baseline needs both).';
  await loadParser();
  const url = await pgs.createDatabase('bench_backup');
  await sql(
    url,
    `create table events (id bigint primary key, user_id int not null, kind text not null, amount numeric(12,2),
       payload jsonb, created_at timestamptz not null default now());
     insert into events (id, user_id, kind, amount, payload)
       select i, i % 5000, 'kind ' || (i % 17), i * 0.01, jsonb_build_object('n', i, 'tag', md5(i::text))
       from generate_series(1, ${ROWS}) i;`,
  );
  await sql(url, 'vacuum analyze events');
  const size = Number((await sql(url, "select pg_total_relation_size('events') as b")).rows[0].b);
  const parsed = parseMigration('delete from events where created_at < now();');
  if (!parsed.ok) throw new Error(parsed.message);
  const touched = touchedTables(parsed.file.statements);
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-backup-'));

  const ours: number[] = [];
  const dumps: number[] = [];
  let copy: BackedUpTable | undefined;
  let dumpBytes = 0;
  for (let i = 1; i <= 3; i++) {
    const t = performance.now();
    const out = await withTargetClient({ databaseUrl: url }, unrecorded, (c) =>
      backupTables(c, touched, { runId: i, settings: undefined, ...TIMEOUTS }),
    );
    ours.push(performance.now() - t);
    copy = out.tables[0];
    const file = join(dir, `events-${i}.sql`);
    const d = performance.now();
    execFileSync(pgDump, ['--table=events', '-f', file, '-d', url], { stdio: 'ignore' });
    dumps.push(performance.now() - d);
    dumpBytes = statSync(file).size;
  }
  if (copy?.rows !== ROWS) throw new Error(`the copy has ${copy?.rows} rows, not ${ROWS}`);

  // Restore after a TRUNCATE: ours (insert what is missing, by primary key) against psql -f of a data-only dump.
  const dataOnly = join(dir, 'events-data.sql');
  execFileSync(pgDump, ['--data-only', '--table=events', '-f', dataOnly, '-d', url], { stdio: 'ignore' });
  const restores: number[] = [];
  const replays: number[] = [];
  for (let i = 0; i < 3; i++) {
    await sql(url, 'truncate events');
    let t = performance.now();
    await withTargetClient({ databaseUrl: url }, unrecorded, (c) =>
      restoreTables(c, [copy!], { settings: undefined, ...TIMEOUTS }),
    );
    restores.push(performance.now() - t);
    await sql(url, 'truncate events');
    t = performance.now();
    execFileSync(psql, ['-q', '-v', 'ON_ERROR_STOP=1', '-f', dataOnly, '-d', url], { stdio: 'ignore' });
    replays.push(performance.now() - t);
  }
  const back = Number((await sql(url, 'select count(*) as n from events')).rows[0].n);
  if (back !== ROWS) throw new Error(`psql put back ${back} rows, not ${ROWS}`);

  const rows: (string | number)[][] = [
    [
      '1,000,000 rows',
      'ours (median of 3)',
      'baseline (median of 3)',
      'ours / baseline',
      'runs (ours | baseline)',
    ],
    [
      'backup',
      ms(median(ours)),
      `pg_dump --table: ${ms(median(dumps))}`,
      (median(ours) / median(dumps)).toFixed(2),
      `${ours.map((x) => x.toFixed(0)).join(', ')} | ${dumps.map((x) => x.toFixed(0)).join(', ')}`,
    ],
    [
      'restore after TRUNCATE',
      ms(median(restores)),
      `psql -f (data-only dump): ${ms(median(replays))}`,
      (median(restores) / median(replays)).toFixed(2),
      `${restores.map((x) => x.toFixed(0)).join(', ')} | ${replays.map((x) => x.toFixed(0)).join(', ')}`,
    ],
  ];
  return [
    `Backup of a ${ROWS.toLocaleString('en-US')}-row table (${sizeText(size)} with its index): a copy inside the database against pg_dump of it to a file (${sizeText(dumpBytes)}), same run`,
    table(rows),
  ].join('\n');
}
