/**
 * A real project's size (issue 12): (a) a 100-file set applied by the bot against `psql -1 -f` run once per file,
 * on the same server; (b) preflight of 1,000 files (read, sha256, parse, ledger comparison, catalog snapshot)
 * against the floor of reading and hashing the same files in the same process.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployConfig } from '../src/config.js';
import { runPreflight } from '../src/steps.js';
import { applyMigrations } from '../src/target/apply.js';
import { discoverMigrations } from '../src/target/files.js';
import { unrecorded } from '../src/target/footprint.js';
import { type BenchPg, ms, table, which } from './support.js';

/** A small migration as teams write them: a table, an index, a few rows, a comment. */
const small = (i: number) =>
  `create table s_${i} (id bigint primary key, name text not null, created_at timestamptz default now());\n` +
  `create index s_${i}_name on s_${i} (name);\n` +
  `insert into s_${i} (id, name) select g, 'n' || g from generate_series(1, 10) g;\n` +
  `comment on table s_${i} is 'migration ${i}';\n`;

/** A folder of `n` small files (0001_step_1.sql …) and a deploy.yml whose one environment is `url`. */
function project(n: number, url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-scale-'));
  const ids = Array.from({ length: n }, (_, i) => `${String(i + 1).padStart(4, '0')}_step_${i + 1}`);
  for (const [i, id] of ids.entries()) writeFileSync(join(dir, `${id}.sql`), small(i + 1));
  writeFileSync(
    join(dir, 'deploy.yml'),
    'migrations: .\nenvironments:\n  - name: bench\n    database: ${BENCH_DATABASE_URL}\n    lockTimeout: 2s\n    statementTimeout: 10m\n',
  );
  const deploy = loadDeployConfig(join(dir, 'deploy.yml'), { BENCH_DATABASE_URL: url });
  return { dir, ids, deploy, env: deploy.environments[0]! };
}

const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');

async function hundredFiles(pgs: BenchPg, rounds: number): Promise<string> {
  const psql = which('psql');
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const { dir, ids, env } = project(100, await pgs.createDatabase('bench_scale_ours'));
    const files = discoverMigrations(dir).migrations;
    let t = performance.now();
    const outcome = await applyMigrations(env, files, ids.at(-1)!, {
      runId: 0,
      appliedBy: 'bench',
      footprints: unrecorded,
    });
    ours.push(performance.now() - t);
    if (!outcome.ok || outcome.applied.length !== 100)
      throw new Error(`apply failed: ${JSON.stringify(outcome)}`);
    if (!psql) continue;
    const b = await pgs.createDatabase('bench_scale_psql');
    t = performance.now();
    for (const id of ids)
      execFileSync(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', join(dir, `${id}.sql`), b], {
        stdio: 'ignore',
      });
    theirs.push(performance.now() - t);
  }
  const rows: (string | number)[][] = [
    ['', `median of ${rounds}`, 'all runs'],
    ['migration-gate apply, 100 files (connect, lock, ledger rows, 2 snapshots)', ms(med(ours)), all(ours)],
  ];
  if (psql) rows.push(['psql -1 -f per file, 100 runs (baseline)', ms(med(theirs)), all(theirs)]);
  const ratio = psql
    ? `ratio ours/psql: ${(med(ours) / med(theirs)).toFixed(2)}× (target ≤ 1×)`
    : 'psql not found: no baseline';
  return `(a) Apply a 100-file set (4 statements each)\n${table(rows)}\n${ratio}`;
}

async function thousandFiles(pgs: BenchPg, rounds: number): Promise<string> {
  const cold: number[] = [];
  const half: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Nothing applied: every file is read, hashed and parsed.
    let p = project(1000, await pgs.createDatabase('bench_preflight'));
    let t = performance.now();
    let out = await runPreflight(p.deploy, p.env, p.ids.at(-1)!, { id: 1, checksums: {} }, unrecorded);
    cold.push(performance.now() - t);
    if (!out.ok || out.result.pending.length !== 1000) throw new Error(`preflight: ${out.reason}`);

    // The floor: read and hash the same 1,000 files, nothing else.
    t = performance.now();
    for (const f of readdirSync(p.dir))
      if (f.endsWith('.sql'))
        createHash('sha256')
          .update(readFileSync(join(p.dir, f)))
          .digest('hex');
    floor.push(performance.now() - t);

    // 500 in the ledger (compared by checksum), 500 pending: a fresh folder, so nothing is cached.
    p = project(1000, await pgs.createDatabase('bench_preflight_half'));
    const files = discoverMigrations(p.dir).migrations;
    const applied = await applyMigrations(p.env, files, p.ids[499]!, {
      runId: 0,
      appliedBy: 'bench',
      footprints: unrecorded,
    });
    if (!applied.ok) throw new Error(applied.message);
    // The same files in another folder: read and parsed afresh, as on a bot that just started.
    const again = project(1000, p.env.databaseUrl);
    t = performance.now();
    out = await runPreflight(again.deploy, again.env, p.ids.at(-1)!, { id: 1, checksums: {} }, unrecorded);
    half.push(performance.now() - t);
    if (!out.ok || out.result.pending.length !== 500) throw new Error(`preflight: ${out.reason}`);
  }
  const rows: (string | number)[][] = [
    ['', `median of ${rounds}`, 'all runs'],
    [
      'migration-gate preflight, 1,000 files pending (read, sha256, parse, snapshot)',
      ms(med(cold)),
      all(cold),
    ],
    ['migration-gate preflight, 500 in the ledger + 500 pending', ms(med(half)), all(half)],
    ['read + sha256 of the 1,000 files only (floor)', ms(med(floor)), all(floor)],
  ];
  return `(b) Preflight of 1,000 files (target ≤ 2 s)\n${table(rows)}`;
}

export async function benchScale(pgs: BenchPg): Promise<string> {
  return `${await hundredFiles(pgs, 5)}\n\n${await thousandFiles(pgs, 3)}`;
}
