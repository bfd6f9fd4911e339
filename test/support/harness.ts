/** The real bot over signed HTTP, the fake Slack Web API, real PostgreSQL: what the e2e tests drive. */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bot, startBot } from '../../src/bot.js';
import { loadAppEnv, loadDeployConfig, secretsOf } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { sendSlashCommand } from '../../src/sandbox/sign.js';
import { openStore, type Store } from '../../src/store/db.js';
import { createTestDatabase } from './pg.js';

export const BOT_TOKEN = 'xoxb-test-1234567890-SECRETBOTTOKEN';
export const SIGNING_SECRET = 'test-signing-secret-5c1e';
export const CHANNEL = 'C0DEPLOYS';

export interface Harness {
  readonly bot: Bot;
  readonly slack: FakeSlack;
  readonly store: Store;
  readonly targets: Record<string, string>;
  readonly stateUrl: string;
  readonly dir: string;
  readonly migrationsDir: string;
  readonly logs: string[];
  slash(text: string, user?: string): Promise<{ status: number; body: string }>;
  /** Wait for all background work the bot started (runs, replies). */
  settle(): Promise<void>;
  restart(): Promise<Harness>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  envs?: string[];
  /** Copy these migrations into the harness's own folder (defaults to the repo's examples). */
  migrations?: Record<string, string>;
  envOptions?: string;
  /** Use these URLs instead of fresh databases (e.g. a wrong password). */
  targetUrls?: Record<string, string>;
}

export async function startHarness(options: HarnessOptions = {}, reuse?: Harness): Promise<Harness> {
  const envNames = options.envs ?? ['staging'];
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'mg-e2e-'));
  const migrationsDir = join(dir, 'migrations');
  if (!reuse) {
    if (options.migrations) {
      cpSync(join(import.meta.dirname, 'empty'), migrationsDir, { recursive: true });
      for (const [name, text] of Object.entries(options.migrations))
        writeFileSync(join(migrationsDir, name), text);
    } else cpSync(join(import.meta.dirname, '../../migrations'), migrationsDir, { recursive: true });
  }
  const targets: Record<string, string> = reuse?.targets ?? {};
  for (const e of envNames) targets[e] ??= options.targetUrls?.[e] ?? (await createTestDatabase(`mg_${e}`));
  const stateUrl = reuse?.stateUrl ?? (await createTestDatabase('mg_state'));
  const yaml = [
    'migrations: ./migrations',
    'environments:',
    ...envNames.map(
      (e) =>
        `  - name: ${e}\n    database: \${${e.toUpperCase()}_DATABASE_URL}\n${options.envOptions ?? '    lockTimeout: 500ms\n    retryBackoff: 50ms'}`,
    ),
  ].join('\n');
  writeFileSync(join(dir, 'deploy.yml'), yaml);
  const processEnv: Record<string, string> = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    DATABASE_URL: stateUrl,
    PORT: '0',
    LOG_LEVEL: 'debug',
    ...Object.fromEntries(envNames.map((e) => [`${e.toUpperCase()}_DATABASE_URL`, targets[e]!])),
  };
  const slack = reuse?.slack ?? (await startFakeSlack({ botToken: BOT_TOKEN }));
  processEnv.SLACK_API_URL = slack.apiUrl;
  const env = loadAppEnv(processEnv);
  const deploy = loadDeployConfig(join(dir, 'deploy.yml'), processEnv);
  const secrets = secretsOf(env, deploy);
  const logs: string[] = reuse?.logs ?? [];
  const log = createLogger('debug', () => secrets, { write: (l) => logs.push(l) });
  const store = await openStore(stateUrl);
  const bot = await startBot({
    env: { ...env, SLACK_BOT_TOKEN: BOT_TOKEN },
    deploy,
    store,
    log,
    secrets,
    retries: 0,
  });
  const h: Harness = {
    bot,
    slack,
    store,
    targets,
    stateUrl,
    dir,
    migrationsDir,
    logs,
    slash: (text, user = 'U0REQUESTER') =>
      sendSlashCommand(bot.url!, SIGNING_SECRET, {
        command: '/deploy-migration',
        text,
        user_id: user,
        channel_id: CHANNEL,
        response_url: slack.responseUrl(user, CHANNEL),
      }),
    settle: () => bot.service.idle(),
    async restart() {
      await bot.stop();
      await store.close();
      return startHarness(options, h);
    },
    async stop() {
      await bot.stop();
      await store.close();
      await slack.close();
    },
  };
  return h;
}

/** The text of every block of a recorded message, joined: what a user reads. */
export function textOf(args: Record<string, unknown>): string {
  const blocks =
    (args.blocks as { text?: { text: string }; elements?: { text?: string }[] }[] | undefined) ?? [];
  return [
    String(args.text ?? ''),
    ...blocks.map((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text ?? '')].join('\n')),
  ].join('\n');
}

/** Everything the bot said as ephemeral answers (response_url), in order. */
export function ephemerals(slack: FakeSlack): string[] {
  return slack.callsTo('response_url').map((c) => textOf(c.args));
}

/** The text of the newest message the bot posted whose text starts with `prefix` (e.g. "Apply on staging"). */
export function lastPost(slack: FakeSlack, prefix: string): string {
  const call = slack
    .callsTo('chat.postMessage')
    .filter((c) => String(c.args.text ?? '').startsWith(prefix))
    .at(-1);
  if (!call) throw new Error(`the bot posted nothing starting with "${prefix}"`);
  return textOf(call.args);
}
