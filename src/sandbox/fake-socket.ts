/**
 * Socket Mode against the stand-in, as @slack/socket-mode 3 (the client Bolt uses) drives it:
 *   1. apps.connections.open with the app-level token → { ok, url: ws://127.0.0.1:PORT/link/?ticket=… }; a ticket
 *      opens one connection, once
 *   2. the WebSocket opens on that URL and the stand-in says { type: 'hello' }: the app is connected
 *   3. slash commands and interactions arrive as envelopes { envelope_id, type, payload, accepts_response_payload };
 *      the app acks each with { envelope_id, payload } (a view submission's response_action rides in the payload)
 *   4. { type: 'disconnect', reason: 'refresh_requested' } asks the app to reconnect: it closes this connection and
 *      opens a new one through apps.connections.open.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';

export type EnvelopeType = 'slash_commands' | 'interactive';

export interface Envelope {
  readonly envelope_id: string;
  readonly type: EnvelopeType;
  readonly payload: unknown;
  readonly accepts_response_payload: boolean;
}

/** What became of one envelope: whether the app acked it in time, and the payload of its ack. */
export interface Delivered {
  readonly acked: boolean;
  readonly payload: Record<string, unknown>;
}

export interface FakeSocket {
  /** How many connections have opened (each greeted with hello). */
  readonly connections: number;
  /** Every message the app sent over any connection, parsed (the acks). */
  readonly received: unknown[];
  /** Resolves once `n` connections have opened in all and the newest is open. */
  connected(n?: number, ms?: number): Promise<void>;
  /** Send an envelope on the open connection and wait up to `ms` for its ack (Slack waits 3 s). */
  deliver(type: EnvelopeType, payload: unknown, ms?: number): Promise<Delivered>;
  /** Send any text on the open connection, as it is (a malformed envelope). */
  sendRaw(text: string): void;
  /** Ask the app to reconnect, as Slack does before it recycles a connection. */
  disconnect(reason?: string): void;
  /** The answer to apps.connections.open. */
  open(): Record<string, unknown>;
  /** Take an HTTP upgrade to a socket URL; false when the path is not one. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  close(): Promise<void>;
}

const isOpen = (ws: WebSocket | undefined): ws is WebSocket => ws?.readyState === 1; // WebSocket.OPEN

const ackMessage = z.object({
  envelope_id: z.string().min(1),
  payload: z.record(z.string(), z.unknown()).optional(),
});

/** `base` is the stand-in's http://127.0.0.1:PORT, known once it listens. */
export function fakeSocket(base: () => string): FakeSocket {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const waiting = new Map<string, (payload: Record<string, unknown>) => void>();
  const received: unknown[] = [];
  let current: WebSocket | undefined;
  let connections = 0;

  const live = () => {
    if (!isOpen(current))
      throw new Error('no Socket Mode connection is open: start the bot with SLACK_APP_TOKEN first');
    return current;
  };

  wss.on('connection', (ws) => {
    current = ws;
    connections += 1;
    ws.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        message = String(data);
      }
      received.push(message);
      const ack = ackMessage.safeParse(message);
      if (ack.success) waiting.get(ack.data.envelope_id)?.(ack.data.payload ?? {});
    });
    ws.on('close', () => {
      if (current === ws) current = undefined;
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'stand-in', approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0SANDBOX' },
      }),
    );
  });

  return {
    get connections() {
      return connections;
    },
    received,
    async connected(n = 1, ms = 15_000) {
      const end = Date.now() + ms;
      while (connections < n || !isOpen(current)) {
        if (Date.now() > end) throw new Error(`Socket Mode: ${connections} of ${n} connections opened`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    deliver(type, payload, ms = 3000) {
      const ws = live();
      const envelope: Envelope = {
        envelope_id: randomUUID(),
        type,
        payload,
        // Slack takes a response in the ack of a slash command or a view submission, not of a click.
        accepts_response_payload:
          type === 'slash_commands' || (payload as { type?: string }).type === 'view_submission',
      };
      return new Promise<Delivered>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(envelope.envelope_id);
          resolve({ acked: false, payload: {} });
        }, ms);
        waiting.set(envelope.envelope_id, (p) => {
          clearTimeout(timer);
          waiting.delete(envelope.envelope_id);
          resolve({ acked: true, payload: p });
        });
        ws.send(JSON.stringify(envelope));
      });
    },
    sendRaw: (text) => live().send(text),
    disconnect: (reason = 'refresh_requested') =>
      live().send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'stand-in' } })),
    open() {
      const ticket = randomUUID();
      tickets.add(ticket);
      return { ok: true, url: `${base().replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=A0SANDBOX` };
    },
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/link/') return false;
      const ticket = url.searchParams.get('ticket') ?? '';
      if (!tickets.delete(ticket)) {
        // Each URL opens one connection: a stale or made-up one is refused.
        socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      return true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}
