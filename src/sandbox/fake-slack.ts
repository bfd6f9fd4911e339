/**
 * A local stand-in for Slack's Web API: the subset the bot calls, plus a response_url sink.
 * It records every call so tests (and the sandbox page) can see exactly what a user would see.
 * The channel it shows (messages, threads, files) lives in channel.ts; file uploads in fake-files.ts;
 * Socket Mode (apps.connections.open and the WebSocket it names) in fake-socket.ts.
 */
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChannelStore, openChannel, type SandboxFile, type SandboxMessage } from './channel.js';
import { fakeFiles } from './fake-files.js';
import { type FakeSocket, fakeSocket } from './fake-socket.js';

export type { SandboxFile, SandboxMessage } from './channel.js';

export interface RecordedCall {
  readonly method: string;
  readonly args: Record<string, unknown>;
  readonly at: number;
}

export interface FakeSlackOptions {
  readonly botToken: string;
  /** The app-level token (xapp-…) apps.connections.open takes: Socket Mode. Without it, that call is refused. */
  readonly appToken?: string;
  readonly users?: readonly { id: string; name: string; tz?: string }[];
  readonly usergroups?: Readonly<Record<string, readonly string[]>>;
  readonly channels?: Readonly<Record<string, string>>;
  /** Channels the bot is not a member of: posting there answers `not_in_channel`, as Slack does. */
  readonly notInChannel?: readonly string[];
  /** More routes on the same server (the sandbox page); return true when handled. */
  readonly routes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** Keep the channel here too (the sandbox keeps it in the bot's state database); it starts with what it holds. */
  readonly store?: ChannelStore;
  /** Checked before every request (the sandbox: Host and Origin); a reason refuses it with 403. */
  readonly guard?: (req: IncomingMessage) => string | undefined;
}

export interface FakeSlack {
  readonly url: string;
  readonly apiUrl: string;
  readonly calls: RecordedCall[];
  readonly messages: SandboxMessage[];
  /** Every file uploaded and completed, with its content. */
  readonly files: SandboxFile[];
  readonly events: EventEmitter;
  /** Socket Mode: the connections the app opened, envelopes to deliver to it, its acks. */
  readonly socket: FakeSocket;
  /** A response_url for one slash command or interaction by `user` in `channel`. */
  responseUrl(user?: string, channel?: string): string;
  callsTo(method: string): RecordedCall[];
  close(): Promise<void>;
}

export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  if (!raw) return {};
  if ((req.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(raw);
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (['blocks', 'attachments', 'view', 'file_uploads', 'files'].includes(k)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        /* keep the raw string */
      }
    }
    out[k] = v;
  }
  return out;
}

export async function startFakeSlack(options: FakeSlackOptions, port = 0): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const ch = await openChannel(options.store);
  const { messages, events } = ch;
  let seq = 0;
  const users = new Map((options.users ?? []).map((u) => [u.id, u]));
  const files = fakeFiles(ch, () => base);
  const socket = fakeSocket(() => base);

  const record = (method: string, args: Record<string, unknown>) => {
    const call = { method, args, at: Date.now() };
    calls.push(call);
    events.emit('call', call);
  };

  async function api(method: string, a: Record<string, unknown>): Promise<Record<string, unknown>> {
    const channel = String(a.channel ?? '');
    const blocks = Array.isArray(a.blocks) ? a.blocks : [];
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UMIGRATIONGATE', bot_id: 'BMIGRATIONGATE', team_id: 'T0SANDBOX' };
      case 'chat.postMessage': {
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (options.notInChannel?.includes(channel)) return { ok: false, error: 'not_in_channel' };
        const ts = ch.nextTs();
        const m: SandboxMessage = { ts, channel, text: String(a.text ?? ''), blocks };
        if (a.thread_ts) m.threadTs = String(a.thread_ts);
        // form-encoded arguments arrive as strings, JSON ones as booleans
        if (a.thread_ts && String(a.reply_broadcast) === 'true') m.broadcast = true;
        await ch.upsert(m);
        return { ok: true, ts, channel, message: { ts, text: m.text, blocks } };
      }
      case 'chat.update': {
        const existing = messages.find((m) => m.ts === a.ts && m.channel === channel);
        if (!existing) return { ok: false, error: 'message_not_found' };
        await ch.upsert({ ...existing, text: String(a.text ?? ''), blocks, edited: true });
        return { ok: true, ts: a.ts, channel };
      }
      case 'chat.postEphemeral': {
        const ts = ch.nextTs();
        await ch.upsert({ ts, channel, text: String(a.text ?? ''), blocks, visibleTo: String(a.user ?? '') });
        return { ok: true, message_ts: ts };
      }
      case 'views.open':
      case 'views.update':
      case 'views.push': {
        const view = { id: `V${++seq}`, ...(a.view as object) };
        // Sandbox trigger ids carry the user who clicked: "trigger.<user>.<n>".
        const user = /^trigger\.([A-Z0-9]+)\./.exec(String(a.trigger_id ?? ''))?.[1];
        events.emit('modal', { user, view });
        return { ok: true, view };
      }
      case 'users.info': {
        const u = users.get(String(a.user));
        return u
          ? { ok: true, user: { id: u.id, name: u.name, real_name: u.name, tz: u.tz ?? 'UTC' } }
          : { ok: false, error: 'user_not_found' };
      }
      case 'usergroups.users.list': {
        const list = options.usergroups?.[String(a.usergroup)];
        return list ? { ok: true, users: list } : { ok: false, error: 'no_such_subteam' };
      }
      case 'chat.getPermalink': {
        const m = messages.find((x) => x.ts === a.message_ts && x.channel === channel);
        if (!m) return { ok: false, error: 'message_not_found' };
        return { ok: true, channel, permalink: `${base}/archives/${channel}/p${m.ts.replace('.', '')}` };
      }
      case 'conversations.info':
        return { ok: true, channel: { id: channel, name: options.channels?.[channel] ?? 'deploys' } };
      default:
        return (await files.api(method, a)) ?? { ok: false, error: 'unknown_method' };
    }
  }

  let base = '';
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const refused = options.guard?.(req);
      if (refused) return send(403, { ok: false, error: refused });
      if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
        const method = url.pathname.slice('/api/'.length);
        const args = await readBody(req);
        // apps.connections.open takes the app-level token, every other method the bot token.
        const token = method === 'apps.connections.open' ? options.appToken : options.botToken;
        const auth = req.headers.authorization;
        if (!token || auth !== `Bearer ${token}`) {
          const otherToken = [options.botToken, options.appToken].some((t) => t && auth === `Bearer ${t}`);
          return send(200, { ok: false, error: otherToken ? 'not_allowed_token_type' : 'invalid_auth' });
        }
        record(method, args);
        if (method === 'apps.connections.open') return send(200, socket.open());
        // Slack refuses a message with more than one table block.
        if (
          Array.isArray(args.blocks) &&
          args.blocks.filter((b) => (b as { type?: string }).type === 'table').length > 1
        )
          return send(200, { ok: false, error: 'only_one_table_allowed' });
        return send(200, await api(method, args));
      }
      if (req.method === 'POST' && url.pathname.startsWith('/response/')) {
        const args = await readBody(req);
        record('response_url', { ...args, response_id: url.pathname.slice('/response/'.length) });
        const user = url.searchParams.get('user') ?? undefined;
        const channel = url.searchParams.get('channel') ?? '';
        await ch.upsert({
          ts: ch.nextTs(),
          channel,
          text: String(args.text ?? ''),
          blocks: (args.blocks as unknown[]) ?? [],
          visibleTo: user,
        });
        return send(200, { ok: true });
      }
      if (url.pathname === '/healthz') return send(200, { ok: true });
      if (await files.route(req, res, url)) return;
      if (options.routes && (await options.routes(req, res, url))) return;
      return send(404, { ok: false, error: 'not_found' });
    } catch (e) {
      return send(500, { ok: false, error: (e as Error).message });
    }
  });
  server.on('upgrade', (req, conn, head) => {
    const refused = options.guard?.(req);
    if (refused) conn.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
    else if (!socket.upgrade(req, conn, head))
      conn.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    apiUrl: `${base}/api/`,
    calls,
    messages,
    files: ch.files,
    events,
    socket,
    responseUrl: (user, channel) =>
      `${base}/response/${++seq}?${new URLSearchParams({ user: user ?? '', channel: channel ?? '' })}`,
    callsTo: (method) => calls.filter((c) => c.method === method),
    async close() {
      await socket.close();
      await new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
      await ch.flushed();
    },
  };
}
