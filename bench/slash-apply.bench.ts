/**
 * A generated 1,000-statement migration measured from outside, as a person waits for it: from the signed slash
 * command to the moment its last object is visible in the target's catalog, against `psql -1 -f` measured the same
 * way (from spawning psql to the object being visible). A worker thread with its own connection polls the
 * catalog, so the bot's event loop is not charged for the clock.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { loadAppEnv, secretsOf } from '../src/app-env.js';
import { startBot } from '../src/bot.js';
import { loadDeployConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startFakeSlack } from '../src/sandbox/fake-slack.js';
import { sendSlashCommand } from '../src/sandbox/sign.js';
import { openStore } from '../src/store/db.js';
import { generate } from './apply.bench.js';
import { type BenchPg, ms, table, which } from './support.js';

const TOKEN = 'xoxb-bench-token';
const SECRET = 'bench-signing-secret';
/** The last object the generated file creates. */
const LAST = 'public.bench_249_name';

/** Polls `url` every 2 ms until LAST exists; says `ready` once connected, then the absolute time it saw it. */
const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
const pg = require(workerData.pg);
(async () => {
  const c = new pg.Client({ connectionString: workerData.url });
  await c.connect();
  parentPort.postMessage('ready');
  for (;;) {
    const r = await c.query('select to_regclass($1) is not null as v', [workerData.last]);
    if (r.rows[0].v) break;
    await new Promise((res) => setTimeout(res, 2));
  }
  const seen = performance.timeOrigin + performance.now();
  await c.end();
  parentPort.postMessage(seen);
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

const now = () => performance.timeOrigin + performance.now();

/** Start a poller on `url`; resolves once it is connected, with a promise of the time it sees LAST (wrapped: a
 * promise resolved with a promise would wait for it). */
function poll(url: string): Promise<{ visible: Promise<number> }> {
  return new Promise((ready, reject) => {
    const w = new Worker(POLLER, {
      eval: true,
      workerData: { url, last: LAST, pg: createRequire(import.meta.url).resolve('pg') },
    });
    let seen: (t: number) => void;
    let failed: (e: Error) => void;
    const visible = new Promise<number>((res, rej) => {
      seen = res;
      failed = rej;
    });
    const timer = setTimeout(() => failed(new Error(`${LAST} not visible after 120 s`)), 120_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      void w.terminate();
      reject(e);
      failed(e);
    };
    w.on('message', (m: 'ready' | number | { error: string }) => {
      if (m === 'ready') ready({ visible });
      else if (typeof m === 'number') {
        clearTimeout(timer);
        seen(m);
        void w.terminate();
      } else fail(new Error(m.error));
    });
    w.once('error', fail);
  });
}

async function throughSlack(pgs: BenchPg, dir: string): Promise<{ elapsed: number; pieces: number[] }> {
  const slack = await startFakeSlack({ botToken: TOKEN });
  const target = await pgs.createDatabase('bench_slash_target');
  const processEnv = {
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: await pgs.createDatabase('bench_slash_state'),
    STAGING_DATABASE_URL: target,
    PORT: '0',
  };
  const env = loadAppEnv(processEnv);
  const deploy = loadDeployConfig(join(dir, 'deploy.yml'), processEnv);
  const store = await openStore(env.DATABASE_URL!);
  const bot = await startBot({
    env: { ...env, SLACK_BOT_TOKEN: TOKEN },
    deploy,
    store,
    log: createLogger('silent', () => []),
    secrets: secretsOf(env, deploy),
    retries: 0,
    scheduler: false,
  });
  try {
    const { visible } = await poll(target);
    const t = now();
    const r = await sendSlashCommand(bot.url!, SECRET, {
      command: '/deploy-migration',
      text: '001_generated',
      user_id: 'U0BENCH',
      channel_id: 'CBENCH',
      response_url: slack.responseUrl('U0BENCH', 'CBENCH'),
    });
    if (r.status !== 200) throw new Error(`slash command: HTTP ${r.status}`);
    const seen = await visible;
    await bot.service.idle();
    return { elapsed: seen - t, pieces: await pieces(processEnv.DATABASE_URL, t, seen) };
  } finally {
    await bot.stop();
    await store.close();
    await slack.close();
  }
}

/**
 * Where the time went, from the store's step times (epoch ms): slash → preflight starts (ack, run, card),
 * preflight, preflight → apply starts (gate skipped, saves), apply starts → visible (connect, lock, ledger,
 * parse, snapshot before, the file's own transaction), and the file's own transaction alone.
 */
async function pieces(stateUrl: string, t0: number, seen: number): Promise<number[]> {
  const c = new pg.Client({ connectionString: stateUrl });
  await c.connect();
  const { rows } = await c.query<{ name: string; s: number; f: number; file: number | null }>(
    `select name, extract(epoch from started_at) * 1000 as s, extract(epoch from finished_at) * 1000 as f,
            (result -> 'files' -> 0 ->> 'durationMs')::int as file
       from migration_gate_state.steps where name in ('preflight', 'apply') order by idx`,
  );
  await c.end();
  const [pre, apply] = [rows.find((r) => r.name === 'preflight')!, rows.find((r) => r.name === 'apply')!];
  return [pre.s - t0, pre.f - pre.s, apply.s - pre.f, seen - apply.s, apply.file ?? Number.NaN];
}

async function throughPsql(pgs: BenchPg, psql: string, file: string): Promise<number> {
  const target = await pgs.createDatabase('bench_slash_psql');
  const { visible } = await poll(target);
  const t = now();
  await new Promise<void>((resolve, reject) =>
    execFile(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', file, target], (e) =>
      e ? reject(e) : resolve(),
    ),
  );
  return (await visible) - t;
}

export async function benchSlashApply(pgs: BenchPg): Promise<string> {
  const psql = which('psql');
  if (!psql) return 'psql not found: no baseline';
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-slash-'));
  writeFileSync(join(dir, '001_generated.sql'), generate(1000));
  writeFileSync(
    join(dir, 'deploy.yml'),
    'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n    statementTimeout: 10m\n',
  );
  const rounds = 5;
  const ours: number[] = [];
  const theirs: number[] = [];
  const split: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    const o = await throughSlack(pgs, dir);
    ours.push(o.elapsed);
    split.push(o.pieces);
    theirs.push(await throughPsql(pgs, psql, join(dir, '001_generated.sql')));
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' / ');
  const rows: (string | number)[][] = [
    ['', `median of ${rounds}`, 'all runs'],
    ['/deploy-migration 001_generated → last object visible (no gate)', ms(med(ours)), all(ours)],
    ['psql -1 -f spawned → last object visible (baseline)', ms(med(theirs)), all(theirs)],
  ];
  const names = [
    'slash → preflight starts (ack, run saved, card posted)',
    'preflight (connect, parse 1,000 statements, catalog snapshot)',
    'preflight ends → apply starts (no gate: decide, save)',
    'apply starts → visible (connect, lock, ledger, parse, snapshot, file, commit)',
    "  of which the file's own transaction",
  ];
  for (const [i, name] of names.entries()) {
    const xs = split.map((p) => p[i]!);
    rows.push([`  ${name}`, ms(med(xs)), all(xs)]);
  }
  return `A 1,000-statement file from the slash command to its last object, seen from outside\n${table(rows)}\nratio ours/psql: ${(med(ours) / med(theirs)).toFixed(2)}× (target ≤ 1.2×)`;
}
