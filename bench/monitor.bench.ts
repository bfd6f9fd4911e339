/** 1,000 watching runs with a checkpoint due each minute, two scheduler processes: time per tick, duplicates, misses. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startFakeSlack } from '../src/sandbox/fake-slack.js';
import { openStore } from '../src/store/db.js';
import { type BenchPg, ms, table } from './support.js';

const RUNS = 1000;
const MINUTES = 3;
/** The plan runs longer than the benchmark, so every measured tick is a mid-plan tick. */
const PLAN_MINUTES = 10;

function runWorker(
  args: string[],
  env: Record<string, string>,
): Promise<{ now: string; acted: number; rows: number; ms: number }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'scheduler-worker.ts'), ...args],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(
            out
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l)),
          )
        : reject(new Error(`worker exited ${code}`)),
    );
  });
}

export async function benchMonitor(pgs: BenchPg): Promise<string> {
  const stateUrl = await pgs.createDatabase('bench_mon_state');
  const target = await pgs.createDatabase('bench_mon_target');
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-mon-'));
  writeFileSync(
    join(dir, 'deploy.yml'),
    `monitoring:
  plans:
    minute: [{ every: 1m, for: ${PLAN_MINUTES}m }]
  metrics:
    - { metric: deadlocks, critical: "> 1000000" }
    - { metric: error_rate, warn: "> 99%" }
    - { metric: active_connections, warn: "> 100000" }
migrations: .
environments:
  - name: staging
    database: \${STAGING_DATABASE_URL}
    monitor: minute
`,
  );
  const store = await openStore(stateUrl);
  await store.close();
  const start = new Date(Date.now() - 1000).toISOString();
  const c = new pg.Client({ connectionString: stateUrl });
  await c.connect();
  await c.query(`insert into migration_gate_state.runs (migration, requested_by, channel, status)
    select '001_x', 'UBENCH', 'CBENCH', 'running' from generate_series(1, ${RUNS})`);
  await c.query(
    `insert into migration_gate_state.steps (run_id, idx, env, name, status, started_at)
    select id, 0, 'staging', 'monitor', 'watching', $1 from migration_gate_state.runs`,
    [start],
  );
  await c.query(
    `insert into migration_gate_state.checkpoints (run_id, idx, seq, due_at)
    select r.id, 0, m, $1::timestamptz + make_interval(mins => m) from migration_gate_state.runs r, generate_series(1, ${PLAN_MINUTES}) m`,
    [start],
  );

  const slack = await startFakeSlack({ botToken: 'xoxb-bench' });
  const wall0 = Date.now() + 4000; // both processes booted by then
  const ticks = Array.from({ length: MINUTES }, (_, i) => ({
    wallAt: wall0 + i * 3000,
    now: new Date(Date.parse(start) + (i + 1) * 60_000 + 5000).toISOString(),
  }));
  const args = [stateUrl, join(dir, 'deploy.yml'), slack.apiUrl, 'xoxb-bench', JSON.stringify(ticks)];
  const [a, b] = await Promise.all([
    runWorker(args, { STAGING_DATABASE_URL: target }),
    runWorker(args, { STAGING_DATABASE_URL: target }),
  ]);
  const statuses = (
    await c.query(
      `select status, count(*)::int as n from migration_gate_state.checkpoints group by status order by status`,
    )
  ).rows;
  await c.end();
  await slack.close();

  const rows: (string | number)[][] = [
    [
      'tick',
      'scheduler A: checkpoints · ms',
      'scheduler B: checkpoints · ms',
      'taken',
      'duplicated',
      'missed',
    ],
  ];
  for (let i = 0; i < MINUTES; i++) {
    const taken = a[i]!.rows + b[i]!.rows;
    rows.push([
      i + 1,
      `${a[i]!.rows} · ${ms(a[i]!.ms)}`,
      `${b[i]!.rows} · ${ms(b[i]!.ms)}`,
      taken,
      Math.max(0, taken - RUNS),
      Math.max(0, RUNS - taken),
    ]);
  }
  const worst = Math.max(...a.map((x) => x.ms), ...b.map((x) => x.ms));
  return `Monitoring: ${RUNS} watching runs, a checkpoint due per run each minute, two scheduler processes (target ≤ 2 s per tick, 0 duplicated, 0 missed)
${table(rows)}
checkpoint rows after ${MINUTES} ticks: ${statuses.map((s) => `${s.status} ${s.n}`).join(', ')} (expected done ${RUNS * MINUTES}, pending ${RUNS * (PLAN_MINUTES - MINUTES)}); slowest tick ${ms(worst)}
baseline: ${RUNS} checkpoints fall due per tick; taken must equal that, every row exactly once.`;
}
