/** Ack latency for 50 concurrent signed /deploy-migration requests: our bot against a bare Bolt app that only acks. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '@slack/bolt';
import { startBot } from '../src/bot.js';
import { loadAppEnv, loadDeployConfig, secretsOf } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startFakeSlack } from '../src/sandbox/fake-slack.js';
import { sendSlashCommand } from '../src/sandbox/sign.js';
import { openStore } from '../src/store/db.js';
import { type BenchPg, ms, percentile, table } from './support.js';

const TOKEN = 'xoxb-bench-token';
const SECRET = 'bench-signing-secret';
const N = 50;

async function burst(url: string, responseUrl: (u: string) => string, text: string): Promise<number[]> {
  const times = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const user = `U${String(i).padStart(4, '0')}`;
      const t = performance.now();
      const r = await sendSlashCommand(url, SECRET, {
        command: '/deploy-migration',
        text,
        user_id: user,
        channel_id: 'CBENCH',
        response_url: responseUrl(user),
      });
      if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
      return performance.now() - t;
    }),
  );
  return times.sort((a, b) => a - b);
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
  const respond = (u: string) => slack.responseUrl(u, 'CBENCH');
  // warm both up
  await burst(bareUrl, respond, 'help');
  await burst(bot.url!, respond, 'help');
  await bot.service.idle();
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
