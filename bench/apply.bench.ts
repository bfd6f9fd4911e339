/** Applying a generated 1,000-statement migration: ours against `psql -1 -f` on the same server. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from '../src/target/apply.js';
import { discoverMigrations } from '../src/target/files.js';
import { unrecorded } from '../src/target/footprint.js';
import { type BenchPg, ms, table, which } from './support.js';

export function generate(statements: number): string {
  const out: string[] = [];
  const tables = statements / 4;
  for (let i = 0; i < tables; i++) {
    out.push(
      `create table bench_${i} (id bigint primary key, name text not null, created_at timestamptz default now());`,
    );
    out.push(`create index bench_${i}_name on bench_${i} (name);`);
    out.push(`insert into bench_${i} (id, name) select g, 'n' || g from generate_series(1, 10) g;`);
    out.push(`comment on table bench_${i} is 'generated table ${i}';`);
  }
  return `${out.join('\n')}\n`;
}

export async function benchApply(pgs: BenchPg): Promise<string> {
  const sql = generate(1000);
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-apply-'));
  writeFileSync(join(dir, '001_generated.sql'), sql);
  const [file] = discoverMigrations(dir).migrations;
  const psql = which('psql');
  const rounds = 5;
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const a = await pgs.createDatabase('bench_apply_ours');
    const env = {
      name: 'bench',
      databaseUrl: a,
      databaseVar: 'X',
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 2000,
      statementTimeoutMs: 600_000,
      lockRetries: 0,
      retryBackoffMs: 0,
    };
    let t = performance.now();
    const outcome = await applyMigrations(env, [file!], file!.id, {
      runId: 0,
      appliedBy: 'bench',
      footprints: unrecorded,
    });
    ours.push(performance.now() - t);
    if (!outcome.ok) throw new Error(`apply failed: ${outcome.message}`);
    if (psql) {
      const b = await pgs.createDatabase('bench_apply_psql');
      t = performance.now();
      execFileSync(
        psql,
        ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', join(dir, '001_generated.sql'), b],
        { stdio: 'ignore' },
      );
      theirs.push(performance.now() - t);
    }
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const rows: (string | number)[][] = [
    ['', 'median of 5', 'all runs'],
    [
      'migration-gate apply (incl. connect, lock, ledger, 2 snapshots)',
      ms(med(ours)),
      ours.map((x) => x.toFixed(0)).join(' / '),
    ],
  ];
  if (psql)
    rows.push(['psql -1 -f (baseline)', ms(med(theirs)), theirs.map((x) => x.toFixed(0)).join(' / ')]);
  const ratio = psql
    ? `ratio ours/psql: ${(med(ours) / med(theirs)).toFixed(2)}× (target ≤ 1.2×)`
    : 'psql not found: no baseline';
  return `Apply a generated 1,000-statement migration\n${table(rows)}\n${ratio}`;
}
