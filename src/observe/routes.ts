/**
 * The bot's own HTTP routes: GET /metrics (Prometheus text), GET /healthz (store and targets, 200 or 503, JSON)
 * and GET /livez (the process answers). In HTTP mode they are custom routes of Bolt's receiver, beside
 * /slack/events; in Socket Mode the bot has no Slack listener, so `serveRoutes` serves them on PORT.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CustomRoute } from '@slack/bolt';
import type { Health } from './health.js';
import type { BotMetrics } from './metrics.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function opsRoutes(o: {
  metrics: BotMetrics;
  health: () => Promise<Health>;
  mode: 'socket' | 'http';
}): CustomRoute[] {
  const get = (path: string, handler: Handler): CustomRoute => ({
    path,
    method: ['GET'],
    handler: (req, res) => {
      try {
        handler(req, res);
      } catch {
        if (!res.headersSent) json(res, 500, { ok: false });
      }
    },
  });
  return [
    get('/livez', (_req, res) => json(res, 200, { ok: true, mode: o.mode })),
    get('/healthz', (_req, res) => {
      void o.health().then(
        (h) => json(res, h.ok ? 200 : 503, { ...h, mode: o.mode }),
        () => json(res, 503, { ok: false, mode: o.mode }),
      );
    }),
    get('/metrics', (_req, res) => {
      void o.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': o.metrics.registry.contentType });
          res.end(text);
        },
        () => json(res, 500, { ok: false }),
      );
    }),
  ];
}

/** Serve `routes` (GET only) on `port` (0: any free port); resolves once listening, with its URL and close. */
export async function serveRoutes(
  routes: readonly CustomRoute[],
  port: number,
  host?: string,
): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = routes.find((r) => r.path === path);
    const methods = [route?.method ?? []].flat();
    if (route && methods.includes(req.method ?? ''))
      return void route.handler(Object.assign(req, { params: {} }), res);
    json(res, route ? 405 : 404, { ok: false });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE'
            ? `PORT ${port} is in use: /metrics and /healthz cannot listen there; set PORT to a free port`
            : `/metrics and /healthz cannot listen on PORT ${port}: ${e.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
