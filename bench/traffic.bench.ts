/**
 * Traffic while a DDL waits for its lock: readers on a hot table, a long transaction (8 s) holding the table, and
 * `alter table hot add column …` applied (a) with `psql -f` and (b) by the bot with its default lock settings,
 * in the same run. Prints each side's worst read latency, how many reads took over 1 s, and when the DDL landed
 * after the long transaction ended. Readers run in a worker thread with their own connections, so neither side's
 * event loop is charged for their clock.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { applyMigrations } from '../src/target/apply.js';
import { discoverMigrations } from '../src/target/files.js';
import { unrecorded } from '../src/target/footprint.js';
import { type BenchPg, ms, table, which } from './support.js';

const HOLD_MS = 8000;
const READERS = 4;

/** READERS clients each reading one row of hot in a loop (2 ms apart) until told to stop; gives back latencies. */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const pg = require(workerData.pg);
let stop = false;
parentPort.on('message', () => { stop = true; });
(async () => {
  const lat = [];
  await Promise.all(Array.from({ length: workerData.readers }, async () => {
    const c = new pg.Client({ connectionString: workerData.url });
    await c.connect();
    while (!stop) {
      const t = performance.now();
      await c.query('select v from hot where id = $1', [1 + Math.floor(Math.random() * 10000)]);
      lat.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 2));
    }
    await c.end();
  }));
  parentPort.postMessage(lat);
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

function readers(url: string): { stop(): Promise<number[]> } {
  const w = new Worker(READER, {
    eval: true,
    workerData: { url, readers: READERS, pg: createRequire(import.meta.url).resolve('pg') },
  });
  const done = new Promise<number[]>((resolve, reject) => {
    w.once('message', (m: number[] | { error: string }) =>
      Array.isArray(m) ? resolve(m) : reject(new Error(m.error)),
    );
    w.once('error', reject);
  });
  return {
    async stop() {
      w.postMessage('stop');
      const lat = await done;
      await w.terminate();
      return lat;
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Side {
  worst: number;
  overSecond: number;
  reads: number;
  /** When the DDL committed, after the long transaction ended (ms; negative: before). */
  landedAfter: number;
}

/** One side: hot table, readers, a long transaction, and `apply` started while it is open. */
async function side(pgs: BenchPg, apply: (url: string) => Promise<void>): Promise<Side> {
  const url = await pgs.createDatabase('bench_traffic');
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query(
    "create table hot (id int primary key, v text); insert into hot select g, 'v' || g from generate_series(1, 10000) g",
  );
  await setup.end();
  const r = readers(url);
  await sleep(500);
  const holder = new pg.Client({ connectionString: url, application_name: 'reporting-job' });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select count(*) from hot');
  let ended = 0;
  const release = sleep(HOLD_MS).then(async () => {
    await holder.query('commit');
    ended = performance.now();
    await holder.end();
  });
  await sleep(500);
  await apply(url);
  const landed = performance.now();
  await release;
  await sleep(500);
  const lat = await r.stop();
  return {
    worst: Math.max(...lat),
    overSecond: lat.filter((x) => x > 1000).length,
    reads: lat.length,
    landedAfter: landed - ended,
  };
}

const FILE = 'alter table hot add column extra int;\n';

export async function benchTraffic(pgs: BenchPg): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-traffic-'));
  writeFileSync(join(dir, '001_add.sql'), FILE);
  const [file] = discoverMigrations(dir).migrations;
  const psql = which('psql');
  const rows: (string | number)[][] = [
    ['', 'worst read', 'reads > 1 s', 'reads', 'DDL landed after the long transaction ended'],
  ];
  const show = (name: string, s: Side) =>
    rows.push([name, ms(s.worst), s.overSecond, s.reads, ms(s.landedAfter)]);
  if (psql) {
    const s = await side(
      pgs,
      (url) =>
        new Promise<void>((resolve, reject) =>
          execFile(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', join(dir, '001_add.sql'), url], (e) =>
            e ? reject(e) : resolve(),
          ),
        ),
    );
    show('psql -f (baseline)', s);
  }
  const ours = await side(pgs, async (url) => {
    const outcome = await applyMigrations(
      {
        name: 'bench',
        databaseUrl: url,
        // deploy.yml's defaults (docs/locks.md)
        firstLockTimeoutMs: 100,
        lockTimeoutMs: 2000,
        statementTimeoutMs: 300_000,
        lockRetries: 5,
        retryBackoffMs: 500,
      },
      [file!],
      file!.id,
      { runId: 0, appliedBy: 'bench', footprints: unrecorded },
    );
    if (!outcome.ok) throw new Error(`the bot's apply failed: ${outcome.message}`);
  });
  show('migration-gate, default lock settings', ours);
  return `${READERS} readers on a hot table; a transaction holds it ${HOLD_MS / 1000} s; ALTER TABLE … ADD COLUMN starts 0.5 s into it\n${table(rows)}\ntarget: worst read ≤ 150 ms, no read over 1 s, DDL within 1 s after the long transaction ends`;
}
