/** One scheduler process for the monitoring benchmark: ticks at the given wall-clock moments, prints JSON lines. */

import { App } from '@slack/bolt';
import { loadAppEnv } from '../src/app-env.js';
import { loadDeployConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createService } from '../src/service.js';
import { webChat } from '../src/slack/chat.js';
import { openStore } from '../src/store/db.js';

const [stateUrl, deployPath, apiUrl, token, ticksJson] = process.argv.slice(2);
const ticks = JSON.parse(ticksJson!) as { wallAt: number; now: string }[];
const env = { STAGING_DATABASE_URL: process.env.STAGING_DATABASE_URL };
const deploy = loadDeployConfig(deployPath!, env);
loadAppEnv({});
const store = await openStore(stateUrl!);
const app = new App({
  token,
  signingSecret: 'x',
  tokenVerificationEnabled: false,
  botId: 'B',
  botUserId: 'U',
  clientOptions: { slackApiUrl: apiUrl, retryConfig: { retries: 0 } },
});
const service = createService({
  store,
  deploy,
  chat: webChat(app.client, []),
  log: createLogger('silent', () => []),
  secrets: [],
});
for (const t of ticks) {
  await new Promise((r) => setTimeout(r, Math.max(0, t.wallAt - Date.now())));
  const started = performance.now();
  const r = await service.monitorTick(new Date(t.now));
  process.stdout.write(
    `${JSON.stringify({ now: t.now, acted: r.runs, rows: r.checkpoints, ms: performance.now() - started })}\n`,
  );
}
await service.idle();
await store.close();
