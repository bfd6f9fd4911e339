/**
 * A small stand-in for the application a migration serves: real HTTP on 127.0.0.1, `/metrics` in Prometheus's
 * text format from prom-client (requests by status code, a latency histogram), `/health` and `/stats` as JSON.
 * Tests set what it answers, record traffic, and crash it: it keeps its port (no other process can take it
 * meanwhile) but resets every connection before answering, until it is restarted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Counter, Histogram, Registry } from 'prom-client';

export interface AppService {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** What /health answers: its status, a delay before answering, its JSON body. */
  health: { status: number; delayMs: number; body: unknown };
  /** What /stats answers (JSON). */
  stats: unknown;
  /** Count `n` requests answered with `code`, each taking `seconds`. */
  record(code: number, n: number, seconds: number): void;
  /** Requests the service received, by path (not /metrics). */
  readonly hits: Record<string, number>;
  /** Stop answering: every connection is reset before an answer, as a crashed service's are. */
  crash(): void;
  /** Answer again. */
  restart(): void;
  close(): Promise<void>;
}

export async function startAppService(): Promise<AppService> {
  const registry = new Registry();
  const requests = new Counter({
    name: 'app_http_requests_total',
    help: 'Requests answered, by status code',
    labelNames: ['code'],
    registers: [registry],
  });
  // Both codes from the start (at 0), as an app that counts by code exposes them: a rate() over the 5xx series then
  // has a first sample before the first failure.
  for (const code of ['200', '500']) requests.inc({ code }, 0);
  const latency = new Histogram({
    name: 'app_http_request_duration_seconds',
    help: 'Time to answer a request',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const hits: Record<string, number> = {};
  let crashed = false;
  const svc = {
    health: { status: 200, delayMs: 0, body: { status: 'ok', checks: { database: true } } as unknown },
    stats: { queue: { depth: 3 } } as unknown,
    hits,
  };
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(await registry.metrics());
      return;
    }
    hits[path] = (hits[path] ?? 0) + 1;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (path === '/health') {
      const { status, delayMs, body } = svc.health;
      setTimeout(() => json(status, body), delayMs);
    } else if (path === '/stats') json(200, svc.stats);
    else json(404, { error: 'not found' });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    if (crashed) return socket.resetAndDestroy();
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return Object.assign(svc, {
    url: `http://127.0.0.1:${port}`,
    port,
    record(code: number, n: number, seconds: number) {
      requests.inc({ code: String(code) }, n);
      for (let i = 0; i < n; i++) latency.observe(seconds);
    },
    crash() {
      crashed = true;
      for (const socket of sockets) socket.resetAndDestroy();
    },
    restart() {
      crashed = false;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}
