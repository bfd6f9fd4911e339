/**
 * Sandbox mode: a page that behaves like a Slack channel, the fake Web API behind it, and signed
 * requests to the real bot for every command, click and modal submission. It listens on 127.0.0.1 only,
 * and its API answers only its own page (guard.ts): loopback Host, no foreign Origin, the page's token.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ChannelStore } from './channel.js';
import { type FakeSlack, readBody, startFakeSlack } from './fake-slack.js';
import { pageGuard } from './guard.js';
import type { Seed } from './seed.js';
import { sendInteraction, sendSlashCommand } from './sign.js';

export interface Sandbox {
  readonly slack: FakeSlack;
  readonly botToken: string;
  readonly signingSecret: string;
  /** Where the bot listens; set once it has started. */
  connect(botUrl: string): void;
  close(): Promise<void>;
}

const PAGE = new URL('./page/', import.meta.url);
const TOKEN_SLOT = '__SANDBOX_TOKEN__';
/** The page's headers: never cached, never framed by another site (a framed page could be clicked through). */
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
};
const ASSETS: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/files.js': ['files.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

const userId = z.string().regex(/^U[A-Z0-9]+$/);
const commandBody = z.object({ user: userId, text: z.string().max(10_000) });
const actionBody = z.object({
  user: userId,
  channel: z.string(),
  ts: z.string(),
  actionId: z.string(),
  value: z.string(),
});
const submitBody = z.object({
  user: userId,
  view: z.object({ callback_id: z.string(), private_metadata: z.string() }),
  values: z.record(z.string(), z.string()),
});

export async function startSandbox(
  listenPort: number,
  seed: Seed,
  secret: { botToken: string; signingSecret: string },
  /** Where the channel is kept between restarts (npm start: the bot's state database). */
  store?: ChannelStore,
): Promise<Sandbox> {
  let botUrl = '';
  let triggers = 0;
  let port = -1; // no Host matches until the server listens
  const guard = pageGuard(() => port);
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const channel = seed.channel.id;
  const bad = (res: ServerResponse, error: z.ZodError) => {
    json(res, 400, { ok: false, error: z.prettifyError(error) });
    return true;
  };

  async function routes(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const asset = req.method === 'GET' ? ASSETS[url.pathname] : undefined;
    if (asset) {
      res.writeHead(200, { 'content-type': asset[1], ...PAGE_HEADERS });
      const body = readFileSync(new URL(asset[0], PAGE));
      // Each page load gets its own token; only a page this sandbox served can use its API.
      res.end(url.pathname === '/' ? body.toString('utf8').replace(TOKEN_SLOT, guard.issue()) : body);
      return true;
    }
    if (!url.pathname.startsWith('/sandbox/')) return false;
    if (!guard.hasToken(req, url)) {
      json(res, 403, { ok: false, error: 'missing or wrong page token: reload the sandbox page' });
      return true;
    }
    if (
      req.method === 'POST' &&
      !(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')
    ) {
      json(res, 415, { ok: false, error: 'send application/json' });
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/sandbox/state') {
      json(res, 200, {
        channel: seed.channel,
        users: seed.users,
        usergroups: seed.usergroups,
        messages: slack.messages,
      });
      return true;
    }
    if (req.method === 'GET' && url.pathname === '/sandbox/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      const send = (event: string) => (data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const onMessage = send('message');
      const onModal = send('modal');
      slack.events.on('message', onMessage);
      slack.events.on('modal', onModal);
      res.write(': connected\n\n');
      req.on('close', () => {
        slack.events.off('message', onMessage);
        slack.events.off('modal', onModal);
      });
      return true;
    }
    if (req.method !== 'POST') return false;
    const raw = await readBody(req);
    const reply = (r: { status: number; body: string }) =>
      json(res, r.status === 200 ? 200 : 502, { ok: r.status === 200, status: r.status, body: r.body });
    if (url.pathname === '/sandbox/command') {
      const b = commandBody.safeParse(raw);
      if (!b.success) return bad(res, b.error);
      reply(
        await sendSlashCommand(botUrl, secret.signingSecret, {
          command: '/deploy-migration',
          text: b.data.text,
          user_id: b.data.user,
          channel_id: channel,
          response_url: slack.responseUrl(b.data.user, channel),
          trigger_id: `trigger.${b.data.user}.${++triggers}`,
        }),
      );
      return true;
    }
    if (url.pathname === '/sandbox/action') {
      const b = actionBody.safeParse(raw);
      if (!b.success) return bad(res, b.error);
      const a = b.data;
      reply(
        await sendInteraction(botUrl, secret.signingSecret, {
          type: 'block_actions',
          user: { id: a.user },
          channel: { id: a.channel },
          trigger_id: `trigger.${a.user}.${++triggers}`,
          response_url: slack.responseUrl(a.user, a.channel),
          container: { type: 'message', message_ts: a.ts, channel_id: a.channel },
          message: { ts: a.ts },
          actions: [
            {
              type: 'button',
              action_id: a.actionId,
              block_id: 'sandbox',
              value: a.value,
              action_ts: String(Date.now() / 1000),
            },
          ],
        }),
      );
      return true;
    }
    if (url.pathname === '/sandbox/submit') {
      const b = submitBody.safeParse(raw);
      if (!b.success) return bad(res, b.error);
      const values = Object.fromEntries(
        Object.entries(b.data.values).map(([block, value]) => [
          block,
          { text: { type: 'plain_text_input', value } },
        ]),
      );
      reply(
        await sendInteraction(botUrl, secret.signingSecret, {
          type: 'view_submission',
          user: { id: b.data.user },
          view: { id: 'VSANDBOX', ...b.data.view, state: { values } },
        }),
      );
      return true;
    }
    return false;
  }

  const slack: FakeSlack = await startFakeSlack(
    {
      botToken: secret.botToken,
      users: seed.users,
      usergroups: seed.usergroups,
      channels: { [seed.channel.id]: seed.channel.name },
      routes,
      store,
      guard: guard.refuse,
    },
    listenPort,
  );
  port = Number(new URL(slack.url).port);
  return {
    slack,
    botToken: secret.botToken,
    signingSecret: secret.signingSecret,
    connect: (url) => {
      botUrl = url;
    },
    close: () => slack.close(),
  };
}
