/**
 * Real local HTTP servers for after: actions (docs/after.md): a webhook receiver that checks each request's
 * signature the way a receiver would, and a stand-in for GitHub's REST API answering the two endpoints the bot
 * calls with GitHub's documented request and response shapes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

async function listen(
  handle: (req: Received, res: ServerResponse) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    handle(
      {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      },
      res,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const close = (server: Server) =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

/** Whether `r` carries a valid signature for `secret`: v0=hex(HMAC-SHA256(secret, "v0:<timestamp>:<body>")). */
export function signatureValid(r: Received, secret: string): boolean {
  const ts = String(r.headers['x-migration-gate-request-timestamp'] ?? '');
  const given = String(r.headers['x-migration-gate-signature'] ?? '');
  if (!/^\d+$/.test(ts)) return false;
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${r.body}`).digest('hex')}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** The statuses to answer, in order; the last is repeated. */
  statuses: number[];
  close(): Promise<void>;
}

export async function startReceiver(statuses: number[] = [200]): Promise<Receiver> {
  const received: Received[] = [];
  const rx: Receiver = {
    url: '',
    received,
    statuses,
    close: async () => close(server),
  };
  const { url, server } = await listen((req, res) => {
    received.push(req);
    const status = rx.statuses[Math.min(received.length - 1, rx.statuses.length - 1)] ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: status < 300 }));
  });
  return Object.assign(rx, { url });
}

export interface FakePull {
  state: 'open' | 'closed';
  merged: boolean;
  mergeable: boolean | null;
  mergeable_state: string;
  head: { sha: string };
  merge_commit_sha: string | null;
}

export interface FakeGitHub {
  readonly url: string;
  readonly received: Received[];
  readonly pulls: Map<string, FakePull>;
  close(): Promise<void>;
}

/** GitHub's `GET /repos/{owner}/{repo}/pulls/{n}` and `PUT /repos/{owner}/{repo}/pulls/{n}/merge`, for `token`. */
export async function startFakeGitHub(
  token: string,
  pulls: Record<string, Partial<FakePull>>,
): Promise<FakeGitHub> {
  const received: Received[] = [];
  const state = new Map<string, FakePull>(
    Object.entries(pulls).map(([k, p]) => [
      k,
      {
        state: 'open',
        merged: false,
        mergeable: true,
        mergeable_state: 'clean',
        head: { sha: `head${k.replace(/\W/g, '')}` },
        merge_commit_sha: null,
        ...p,
      },
    ]),
  );
  const { url, server } = await listen((req, res) => {
    received.push(req);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`)
      return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const m = /^\/repos\/([^/]+\/[^/]+)\/pulls\/(\d+)(\/merge)?$/.exec(req.path);
    const pull = m ? state.get(`${m[1]}#${m[2]}`) : undefined;
    if (!m || !pull)
      return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    if (req.method === 'GET' && !m[3])
      return send(200, {
        number: Number(m[2]),
        ...pull,
        html_url: `https://github.com/${m[1]}/pull/${m[2]}`,
      });
    if (req.method === 'PUT' && m[3]) {
      const body = JSON.parse(req.body || '{}') as { sha?: string };
      if (pull.merged || !pull.mergeable) return send(405, { message: 'Pull Request is not mergeable' });
      if (body.sha && body.sha !== pull.head.sha)
        return send(409, { message: 'Head branch was modified. Review and try the merge again.' });
      pull.merged = true;
      pull.state = 'closed';
      pull.merge_commit_sha = 'def4567890abcdef';
      return send(200, {
        sha: pull.merge_commit_sha,
        merged: true,
        message: 'Pull Request successfully merged',
      });
    }
    return send(404, { message: 'Not Found' });
  });
  return { url, received, pulls: state, close: async () => close(server) };
}
