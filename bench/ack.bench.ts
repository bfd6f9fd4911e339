/** Ack latency for 50 concurrent signed /deploy-migration requests: our bot against a bare Bolt app that only acks. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { App } from '@slack/bolt';
import { loadAppEnv, secretsOf } from '../src/app-env.js';
import { startBot } from '../src/bot.js';
import { loadDeployConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startFakeSlack } from '../src/sandbox/fake-slack.js';
import { openStore } from '../src/store/db.js';
import { type BenchPg, ms, percentile, table } from './support.js';

const TOKEN = 'xoxb-bench-token';
const SECRET = 'bench-signing-secret';
const N = 50;

/**
 * The load comes from a worker thread with its own event loop, so the bot's background work (which shares
 * the main thread with the server) is not charged to the client's clock.
 */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const { url, secret, n, text, responseBase } = workerData;
const once = (text) => Promise.all(Array.from({ length: n }, async (_, i) => {
    const user = 'U' + String(i).padStart(4, '0');
    const body = new URLSearchParams({ command: '/deploy-migration', text, user_id: user, channel_id: 'CBENCH',
      team_id: 'T1', trigger_id: 't' + i, response_url: responseBase + i + '?user=' + user }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const sig = 'v0=' + createHmac('sha256', secret).update('v0:' + ts + ':' + body).digest('hex');
    const t = performance.now();
    const r = await fetch(url + '/slack/events', { method: 'POST', body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-signature': sig, 'x-slack-request-timestamp': String(ts) } });
    await r.text();
    if (r.status !== 200) throw new Error('HTTP ' + r.status);
    return performance.now() - t;
  }));
(async () => {
  await once('help'); // warm this worker's connections and JIT; not measured
  await new Promise((r) => setTimeout(r, 300));
  parentPort.postMessage(await once(text));
})().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

function burst(url: string, responseBase: string, text: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(CLIENT, {
      eval: true,
      workerData: { url, secret: SECRET, n: N, text, responseBase },
    });
    w.once('message', (m: number[] | { error: string }) => {
      void w.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve([...m].sort((a, b) => a - b));
    });
    w.once('error', reject);
  });
}

export async function benchAck(pgs: BenchPg): Promise<string> {
  const slack = await startFakeSlack({ botToken: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'mg-bench-ack-'));
  writeFileSync(join(dir, '001_t.sql'), 'create table t (id int);\nselect pg_sleep(0.2);\n');
  writeFileSync(
    join(dir, 'deploy.yml'),
    'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
  );
  const processEnv = {
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: slack.apiUrl,
    DATABASE_URL: await pgs.createDatabase('bench_state'),
    STAGING_DATABASE_URL: await pgs.createDatabase('bench_target'),
    PORT: '0',
  };
  const env = loadAppEnv(processEnv);
  const deploy = loadDeployConfig(join(dir, 'deploy.yml'), processEnv);
  const log = createLogger('silent', () => []);
  const store = await openStore(env.DATABASE_URL!);
  const bot = await startBot({
    env: { ...env, SLACK_BOT_TOKEN: TOKEN },
    deploy,
    store,
    log,
    secrets: secretsOf(env, deploy),
    retries: 0,
  });

  const bare = new App({
    token: TOKEN,
    signingSecret: SECRET,
    tokenVerificationEnabled: false,
    botId: 'B1',
    botUserId: 'U1',
    clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    logLevel: undefined,
  });
  bare.command('/deploy-migration', async ({ ack }) => ack());
  const server = (await bare.start(0)) as Server;
  const bareUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const rows: (string | number)[][] = [['', 'p50', 'p99', 'max']];
  const respond = `${slack.url}/response/`;
  for (const [label, url, text] of [
    ['bare Bolt app, ack only (baseline)', bareUrl, '001_t'],
    ['migration-gate, /deploy-migration 001_t', bot.url!, '001_t'],
    ['migration-gate, /deploy-migration help', bot.url!, 'help'],
  ] as const) {
    const t = await burst(url, respond, text);
    rows.push([label, ms(percentile(t, 50)), ms(percentile(t, 99)), ms(t.at(-1)!)]);
    await bot.service.idle();
  }
  const ours = Number.parseFloat(String(rows[2]![2]));
  const base = Number.parseFloat(String(rows[1]![2]));
  await bot.stop();
  await bare.stop();
  await store.close();
  await slack.close();
  return `Ack latency, ${N} concurrent signed slash commands (target p99 ≤ 100 ms and ≤ 1.5× bare)\n${table(rows)}\np99 ratio ours/bare: ${(ours / base).toFixed(2)}×`;
}
