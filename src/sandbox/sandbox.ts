/** Sandbox mode: the fake Slack Web API plus a small HTTP API to drive the bot without a workspace. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FakeSlack, readBody, startFakeSlack } from './fake-slack.js';
import { sendSlashCommand } from './sign.js';

export const SANDBOX_CHANNEL = 'C0SANDBOX';

export interface Sandbox {
  readonly slack: FakeSlack;
  readonly botToken: string;
  readonly signingSecret: string;
  /** Where the bot listens; set once it has started. */
  connect(botUrl: string): void;
  close(): Promise<void>;
}

export async function startSandbox(port: number): Promise<Sandbox> {
  const botToken = `xoxb-sandbox-${randomBytes(8).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  let botUrl = '';
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const slack: FakeSlack = await startFakeSlack(
    {
      botToken,
      routes: async (req: IncomingMessage, res: ServerResponse, url: URL) => {
        if (req.method === 'POST' && url.pathname === '/sandbox/command') {
          const body = await readBody(req);
          const user = String(body.user ?? 'U0REQUESTER');
          const r = await sendSlashCommand(botUrl, signingSecret, {
            command: '/deploy-migration',
            text: String(body.text ?? ''),
            user_id: user,
            channel_id: SANDBOX_CHANNEL,
            response_url: slack.responseUrl(user, SANDBOX_CHANNEL),
          });
          json(res, r.status === 200 ? 200 : 502, { ok: r.status === 200, status: r.status });
          return true;
        }
        if (req.method === 'GET' && url.pathname === '/sandbox/messages') {
          json(res, 200, { channel: SANDBOX_CHANNEL, messages: slack.messages });
          return true;
        }
        return false;
      },
    },
    port,
  );
  return {
    slack,
    botToken,
    signingSecret,
    connect: (url) => {
      botUrl = url;
    },
    close: () => slack.close(),
  };
}
