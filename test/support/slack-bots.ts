/**
 * Real bot processes as `npm start` runs them with Slack tokens (src/main.ts; HTTP mode, or Socket Mode with an
 * app token), all talking to one stand-in Slack in the test process, so a test can count what every replica
 * posted. Requests reach them signed as Slack signs them, or as envelopes on the newest Socket Mode connection.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpDelivery, socketDelivery } from '../../src/sandbox/deliver.js';
import type { FakeSlack } from '../../src/sandbox/fake-slack.js';
import { APP_TOKEN, BOT_TOKEN, CHANNEL, SIGNING_SECRET } from './harness.js';
import { type Started, start } from './started.js';

export interface SlackBot extends Started {
  /** `/deploy-migration <text>` from `user` in CHANNEL, signed. */
  slash(text: string, user?: string): Promise<{ status: number; body: string }>;
  /** An interaction payload (a click), signed. */
  interact(payload: unknown): Promise<{ status: number; body: string }>;
}

/** A folder with these migration files and a deploy.yml whose one environment, staging, is STAGING_DATABASE_URL. */
export function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-bots-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, 'deploy.yml'),
    'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
  );
  return join(dir, 'deploy.yml');
}

/**
 * Start one bot process on its own PORT, pointed at `slack`; `env` holds DATABASE_URL, targets, DEPLOY_CONFIG.
 * With `socket`, it connects in Socket Mode (SLACK_APP_TOKEN) and its PORT serves only /healthz.
 */
export async function startSlackBot(
  slack: FakeSlack,
  env: Record<string, string>,
  { socket = false } = {},
): Promise<SlackBot> {
  const started = await start(
    {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      ...(socket ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
      SLACK_API_URL: slack.apiUrl,
      ...env,
    },
    'Slack mode',
  );
  const delivery = socket ? socketDelivery(slack.socket) : httpDelivery(() => started.url, SIGNING_SECRET);
  return {
    ...started,
    slash: (text, user = 'U0REQUESTER') =>
      delivery.slash({
        command: '/deploy-migration',
        text,
        user_id: user,
        channel_id: CHANNEL,
        response_url: slack.responseUrl(user, CHANNEL),
      }),
    interact: (payload) => delivery.interact(payload),
  };
}

/** SIGKILL each bot's process group (afterEach/afterAll); those already gone are skipped. */
export function killAll(bots: { child: ChildProcess }[]): void {
  for (const { child } of bots.splice(0))
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone already */
    }
}

/** The bot's scheduler ticks at every quarter minute of the wall clock (src/scheduler.ts: `*\/15 * * * * *`). */
export const TICK_MS = 15_000;

/** The first scheduler tick at least `ms` from now. */
export const tickAfter = (ms: number) => Math.ceil((Date.now() + ms) / TICK_MS) * TICK_MS;

/** Wait until wall-clock time `at` (epoch ms). */
export const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
