/**
 * The real bot over signed HTTP (or Socket Mode, `socket: true`), the fake Slack Web API, real PostgreSQL: what
 * the e2e tests drive.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadAppEnv, secretsOf } from '../../src/app-env.js';
import { type Bot, startBot } from '../../src/bot.js';
import { loadDeployConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { httpDelivery, socketDelivery } from '../../src/sandbox/deliver.js';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { openStore, type Store } from '../../src/store/db.js';
import { createTestDatabase } from './pg.js';
import { type ServicesOption, writeServices } from './services.js';

export const BOT_TOKEN = 'xoxb-test-1234567890-SECRETBOTTOKEN';
export const SIGNING_SECRET = 'test-signing-secret-5c1e';
export const APP_TOKEN = 'xapp-1-A0SANDBOX-1234-SECRETAPPTOKEN';
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
  /** Click a button of the newest message whose text starts with `prefix`, as `user`. */
  click(prefix: string | RegExp, actionId: string, user: string): Promise<{ status: number; body: string }>;
  /** Submit the newest modal the bot opened, as `user`, with `reason`. */
  submitModal(user: string, reason: string): Promise<{ status: number; body: string }>;
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
  /** Extra deploy.yml lines per environment (approvals, window, …), indented as in the file. */
  envYaml?: Record<string, string>;
  usergroups?: Record<string, string[]>;
  /** More top-level deploy.yml (e.g. a monitoring: section). */
  topYaml?: string;
  /** Channels the bot is not in (the fake Slack answers `not_in_channel` there). */
  notInChannel?: string[];
  /** More environment variables for the bot (e.g. the URLs deploy.yml's urls: name). */
  extraEnv?: Record<string, string>;
  /** The bot's state database (another replica's); a fresh one when not given. */
  stateUrl?: string;
  /** Socket Mode (SLACK_APP_TOKEN): commands and clicks arrive as envelopes over the stand-in's WebSocket. */
  socket?: boolean;
  /** deploy.yml `services:` (support/services.ts): no top-level folder, no database per environment. */
  services?: ServicesOption;
  /**
   * A project folder to copy and run as it is (its own deploy.yml and migrations, e.g. examples/rls-rollout):
   * every variable it names comes from `extraEnv`.
   */
  project?: string;
}

/** The bot's clock in tests: real time unless a test sets it. */
export const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

export async function startHarness(options: HarnessOptions = {}, reuse?: Harness): Promise<Harness> {
  const envNames = options.envs ?? ['staging'];
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'mg-e2e-'));
  const migrationsDir = join(dir, 'migrations');
  if (!reuse && options.project) cpSync(options.project, dir, { recursive: true });
  else if (!reuse) {
    if (options.migrations) {
      cpSync(join(import.meta.dirname, 'empty'), migrationsDir, { recursive: true });
      for (const [name, text] of Object.entries(options.migrations)) {
        mkdirSync(dirname(join(migrationsDir, name)), { recursive: true });
        writeFileSync(join(migrationsDir, name), text);
      }
    } else cpSync(join(import.meta.dirname, '../../migrations'), migrationsDir, { recursive: true });
  }
  const targets: Record<string, string> = reuse?.targets ?? {};
  const services =
    options.services && (await writeServices(dir, envNames, options.services, targets, !reuse));
  if (!services && !options.project)
    for (const e of envNames) targets[e] ??= options.targetUrls?.[e] ?? (await createTestDatabase(`mg_${e}`));
  const stateUrl = reuse?.stateUrl ?? options.stateUrl ?? (await createTestDatabase('mg_state'));
  const yaml = [
    options.topYaml ?? '',
    services ? services.yaml : 'migrations: ./migrations',
    'environments:',
    ...envNames.map(
      (e) =>
        `  - name: ${e}\n${services ? '' : `    database: \${${e.toUpperCase()}_DATABASE_URL}\n`}${options.envOptions ?? '    lockTimeout: 500ms\n    retryBackoff: 50ms'}\n${options.envYaml?.[e] ?? ''}`,
    ),
  ].join('\n');
  if (!options.project) writeFileSync(join(dir, 'deploy.yml'), yaml);
  const processEnv: Record<string, string> = {
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    DATABASE_URL: stateUrl,
    PORT: '0',
    LOG_LEVEL: 'debug',
    ...(options.socket ? { SLACK_APP_TOKEN: APP_TOKEN } : {}),
    ...(services
      ? services.env
      : options.project
        ? {}
        : Object.fromEntries(envNames.map((e) => [`${e.toUpperCase()}_DATABASE_URL`, targets[e]!]))),
  };
  const slack =
    reuse?.slack ??
    (await startFakeSlack({
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      usergroups: options.usergroups,
      notInChannel: options.notInChannel,
    }));
  processEnv.SLACK_API_URL = slack.apiUrl;
  Object.assign(processEnv, options.extraEnv);
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
    scheduler: false,
    now: clock.now,
  });
  const delivery = options.socket
    ? socketDelivery(slack.socket)
    : httpDelivery(() => bot.url!, SIGNING_SECRET);
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
      delivery.slash({
        command: '/deploy-migration',
        text,
        user_id: user,
        channel_id: CHANNEL,
        response_url: slack.responseUrl(user, CHANNEL),
      }),
    click: (prefix, actionId, user) => {
      // The newest version of the message that still shows this button: a card a user's client may still show.
      const call = [...slack.calls]
        .reverse()
        .find(
          (c) =>
            ['chat.postMessage', 'chat.update'].includes(c.method) &&
            matches(String(c.args.text ?? ''), prefix) &&
            buttonsOf((c.args.blocks as unknown[]) ?? []).some((b) => b.action_id === actionId),
        );
      if (!call) throw new Error(`no ${actionId} button was ever shown on "${prefix}"`);
      const button = buttonsOf(call.args.blocks as unknown[]).find((b) => b.action_id === actionId)!;
      const message = { channel: String(call.args.channel), ts: String(call.args.ts ?? '') };
      return delivery.interact({
        type: 'block_actions',
        user: { id: user },
        channel: { id: message.channel },
        trigger_id: `trigger-${user}-${Date.now()}`,
        response_url: slack.responseUrl(user, message.channel),
        container: { type: 'message', message_ts: message.ts, channel_id: message.channel },
        message: { ts: message.ts },
        actions: [
          { type: 'button', action_id: actionId, block_id: 'x', value: button.value, action_ts: '1' },
        ],
      });
    },
    submitModal: (user, reason) => {
      const view = slack.callsTo('views.open').at(-1)?.args.view as
        | { callback_id: string; private_metadata: string }
        | undefined;
      if (!view) throw new Error('the bot opened no modal');
      return delivery.interact({
        type: 'view_submission',
        user: { id: user },
        view: {
          id: 'V1',
          callback_id: view.callback_id,
          private_metadata: view.private_metadata,
          state: { values: { reason: { text: { type: 'plain_text_input', value: reason } } } },
        },
      });
    },
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
    ...blocks.map((b) =>
      [b.text?.text ?? '', ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : ''))].join(
        '\n',
      ),
    ),
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

/** The buttons in a message's blocks. */
export function buttonsOf(blocks: unknown[]): { action_id: string; value: string }[] {
  return (blocks as { type: string; elements?: { type: string; action_id: string; value: string }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => (b.elements ?? []).filter((e) => e.type === 'button'));
}

/** The current text of the newest message (not ephemeral) whose text starts with `prefix`, as shown now. */
export function current(slack: FakeSlack, prefix: string | RegExp): string {
  const m = [...slack.messages].reverse().find((x) => matches(x.text, prefix) && !x.visibleTo);
  if (!m) throw new Error(`no message starting with "${prefix}"`);
  return textOf({ text: m.text, blocks: m.blocks });
}

const matches = (text: string, p: string | RegExp) =>
  typeof p === 'string' ? text.startsWith(p) : p.test(text);
