/** Build and start the Slack app around a store and a deploy config. Used by main.ts and the tests. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App } from '@slack/bolt';
import type { AppEnv } from './app-env.js';
import type { DeployConfig } from './config.js';
import { boltLogger, type Logger } from './log.js';
import { healthCheck } from './observe/health.js';
import { createMetrics } from './observe/metrics.js';
import { opsRoutes, serveRoutes } from './observe/routes.js';
import { countSlackErrors } from './observe/slack-errors.js';
import { startScheduler } from './scheduler.js';
import { createService, type Service } from './service.js';
import { webChat } from './slack/chat.js';
import { slackReceiver } from './slack/receiver.js';
import { registerSlack } from './slack/register.js';
import { socketReceiver } from './slack/socket-receiver.js';
import type { Store } from './store/db.js';
import { logTargetErrors } from './target/connect-errors.js';

export interface BotOptions {
  readonly env: AppEnv & { SLACK_BOT_TOKEN: string };
  readonly deploy: DeployConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly secrets: readonly string[];
  /** Tests: no retries against the fake Web API. */
  readonly retries?: number;
  /** Tests drive the scheduler's tick themselves, with a fake clock. */
  readonly scheduler?: boolean;
  readonly now?: () => Date;
  /** HTTP mode: the address to listen on (sandbox mode: 127.0.0.1); default: every interface. */
  readonly host?: string;
}

export interface Bot {
  readonly app: App;
  readonly service: Service;
  readonly mode: 'socket' | 'http';
  /** http://127.0.0.1:PORT in HTTP mode. */
  readonly url?: string;
  /** Where GET /metrics, /healthz and /livez answer: the Slack listener, or in Socket Mode a server on PORT. */
  readonly opsUrl: string;
  stop(): Promise<void>;
}

export async function startBot(o: BotOptions): Promise<Bot> {
  const socket = !!o.env.SLACK_APP_TOKEN;
  // The bot's own routes (docs/observability.md): beside /slack/events in HTTP mode, on PORT in Socket Mode.
  const metrics = createMetrics(o.store.db);
  const health = healthCheck(o.store, o.deploy);
  const customRoutes = opsRoutes({ metrics, health, mode: socket ? 'socket' : 'http' });
  const clientOptions = {
    ...(o.env.SLACK_API_URL ? { slackApiUrl: o.env.SLACK_API_URL } : {}),
    ...(o.retries !== undefined ? { retryConfig: { retries: o.retries } } : {}),
  };
  const app = new App({
    token: o.env.SLACK_BOT_TOKEN,
    // Bolt's receivers behind guards, so no request or message can stop the bot (src/slack/*receiver.ts)
    ...(socket
      ? {
          socketMode: true,
          receiver: socketReceiver({
            appToken: o.env.SLACK_APP_TOKEN!,
            customRoutes: [], // served by serveRoutes below, which says when PORT is taken
            port: o.env.PORT,
            clientOptions,
            log: o.log,
          }),
        }
      : {
          receiver: slackReceiver({ signingSecret: o.env.SLACK_SIGNING_SECRET!, customRoutes, log: o.log }),
        }),
    // No auth.test on every request: the bot's ids are known.
    tokenVerificationEnabled: false,
    botId: 'BMIGRATIONGATE',
    botUserId: o.env.SLACK_BOT_USER_ID,
    logger: boltLogger(o.log),
    clientOptions,
  });
  // The global error handler: a listener or middleware that throws is logged; Slack already has its answer.
  app.error(async (error) => {
    o.log.error({ err: error.original ?? error, code: error.code }, 'a Slack request failed');
  });
  const unlogTargetErrors = logTargetErrors(o.log);
  const chat = countSlackErrors(webChat(app.client, o.secrets), metrics);
  const service = createService({
    store: o.store,
    deploy: o.deploy,
    chat,
    log: o.log,
    secrets: o.secrets,
    now: o.now,
    metrics,
  });
  registerSlack(app, service, chat, o.secrets);
  const interrupted = await service.reconcile();
  if (interrupted)
    o.log.warn(
      { interrupted },
      'runs that were in progress when the bot stopped are recovered: a run cut short is marked failed, or held for Roll back when files of it went in; a rollback cut short is held for Resume rollback on its card',
    );

  const scheduler = o.scheduler === false ? undefined : startScheduler(service.tick, o.log);
  let url: string | undefined;
  let ops: Awaited<ReturnType<typeof serveRoutes>> | undefined;
  if (socket) {
    await app.start();
    ops = await serveRoutes(customRoutes, o.env.PORT, o.host).catch(async (e) => {
      await app.stop();
      throw e;
    });
  } else {
    const server = (await app.start(o.host ? { port: o.env.PORT, host: o.host } : o.env.PORT)) as Server;
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  o.log.info(
    { mode: socket ? 'socket' : 'http', url },
    `Slack ${socket ? 'Socket Mode' : `HTTP mode on ${url}/slack/events`}`,
  );
  return {
    app,
    service,
    mode: socket ? 'socket' : 'http',
    url,
    opsUrl: ops?.url ?? url!,
    async stop() {
      scheduler?.stop();
      await ops?.close();
      await app.stop();
      await service.idle();
      unlogTargetErrors();
    },
  };
}
