/**
 * Bolt's Socket Mode receiver (the real @slack/socket-mode client) with a guard in front of the client's message
 * handler. The client parses each WebSocket message in an async listener: JSON `null`, or an events_api envelope
 * without its event, threw a TypeError there, an unhandled rejection that ended the process. A message the bot
 * cannot act on (no envelope_id to ack, a payload without the fields Bolt routes by) is logged and dropped here,
 * unacked, as the HTTP receiver answers 400 (src/slack/receiver.ts); the rest (hello, disconnect and its
 * reconnection, envelopes and their acks) is the client's own work.
 */
import { type CustomRoute, SocketModeReceiver, type webApi } from '@slack/bolt';
import { z } from 'zod';
import { boltLogger, type Logger } from '../log.js';
import { malformedInteraction } from './receiver.js';

const message = z.looseObject({ type: z.string().min(1) });
const envelope = z.looseObject({
  envelope_id: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
});
/** What Bolt routes each envelope type by, beyond its payload being an object. */
const PAYLOADS: Record<string, (payload: Record<string, unknown>) => string | undefined> = {
  slash_commands: (p) =>
    typeof p.command === 'string' && p.command ? undefined : 'a slash_commands payload without a command',
  interactive: (p) => malformedInteraction(p),
  events_api: (p) =>
    message.safeParse(p.event).success ? undefined : 'an events_api payload without a typed event',
};

/** Why the bot cannot handle this Socket Mode message, or undefined when the client and Bolt can. */
export function malformedMessage(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'the message is not JSON';
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the message is not a JSON object';
  const typed = message.safeParse(body);
  if (!typed.success) return 'the message has no type';
  const type = typed.data.type;
  if (type === 'hello' || type === 'disconnect') return undefined;
  const parsed = envelope.safeParse(body);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0] === 'envelope_id' ? 'an envelope_id' : 'a payload object';
    return `an envelope of type ${type} without ${field}`;
  }
  return PAYLOADS[type]?.(parsed.data.payload);
}

export function socketReceiver(o: {
  appToken: string;
  customRoutes: CustomRoute[];
  /** Where /healthz listens (the receiver's own HTTP server). */
  port: number;
  /** The Web API options (slackApiUrl, retries): apps.connections.open goes where every call goes. */
  clientOptions: webApi.WebClientOptions;
  log: Logger;
}): SocketModeReceiver {
  const log = o.log.child({ component: 'slack-socket' });
  const receiver = new SocketModeReceiver({
    appToken: o.appToken,
    logger: boltLogger(o.log),
    customRoutes: o.customRoutes,
    // A copy: the client fills in its own retry policy for apps.connections.open when none is given.
    installerOptions: { port: o.port, clientOptions: { ...o.clientOptions } },
  });
  const client = receiver.client;
  const handlers = client.listeners('ws_message');
  if (handlers.length !== 1)
    throw new Error(
      `@slack/socket-mode no longer reads messages through one ws_message listener (found ${handlers.length}); update src/slack/socket-receiver.ts for this version`,
    );
  const handle = handlers[0]!;
  client.removeAllListeners('ws_message');
  client.on('ws_message', (data: unknown, isBinary: boolean) => {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
    const why = isBinary ? undefined : malformedMessage(text);
    if (why) {
      log.warn({ why }, `dropped a Socket Mode message the bot cannot handle: ${why}`);
      return;
    }
    Promise.resolve(handle.call(client, data, isBinary)).catch((e: unknown) =>
      log.error({ err: e }, 'a Socket Mode message failed'),
    );
  });
  return receiver;
}
