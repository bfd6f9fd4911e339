/**
 * Bolt's HTTP receiver with a guard in front: a signed request whose body Bolt would choke on is answered 400 and
 * logged here. Bolt 5.1 reads `body.ssl_check` outside its try blocks, so one signed `payload=null` was an
 * unhandled rejection that ended the process. Errors inside Bolt are logged and answered too.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import {
  type CustomRoute,
  defaultBodyLimit,
  HTTPModuleFunctions,
  HTTPReceiver,
  isValidSlackRequest,
} from '@slack/bolt';
import { z } from 'zod';
import { boltLogger, type Logger } from '../log.js';

const EVENTS_PATH = '/slack/events';

const envelope = z.looseObject({ type: z.string().min(1) });
/** What the bot's listeners (and Bolt's routing) read in the interactions it handles. */
const INTERACTIONS: Record<string, z.ZodType> = {
  block_actions: z.looseObject({
    actions: z.array(z.looseObject({ action_id: z.string().min(1) })).min(1),
  }),
  view_submission: z.looseObject({ view: z.looseObject({ callback_id: z.string() }) }),
  view_closed: z.looseObject({ view: z.looseObject({ callback_id: z.string() }) }),
};

/** Why Bolt could not handle this body (parsed as Bolt parses it), or undefined when it can. */
export function malformed(contentType: string | undefined, raw: string): string | undefined {
  let body: unknown;
  let what = 'the body';
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const payload = parseQuery(raw).payload;
      if (typeof payload !== 'string') return undefined; // a slash command, or nothing Bolt reads as JSON
      what = 'the payload';
      body = JSON.parse(payload);
    } else body = JSON.parse(raw);
  } catch {
    return `${what} is not JSON`;
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return `${what} is not a JSON object`;
  if (what === 'the body') return undefined; // Events API: Bolt routes by its own fields
  return malformedInteraction(body);
}

/** Why Bolt could not handle this interaction payload (HTTP or a Socket Mode envelope's), or undefined. */
export function malformedInteraction(body: unknown): string | undefined {
  const typed = envelope.safeParse(body);
  if (!typed.success) return 'the payload has no type';
  const schema = INTERACTIONS[typed.data.type];
  const checked = schema?.safeParse(body);
  if (checked && !checked.success)
    return `a ${typed.data.type} payload without a valid ${checked.error.issues[0]?.path.join('.') || 'shape'}`;
  return undefined;
}

async function buffer(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const answer = (res: ServerResponse, status: number) => {
  if (res.headersSent) return;
  res.writeHead(status);
  res.end();
};

export function slackReceiver(o: {
  signingSecret: string;
  customRoutes: CustomRoute[];
  log: Logger;
}): HTTPReceiver {
  const log = o.log.child({ component: 'slack-http' });
  const receiver = new HTTPReceiver({
    signingSecret: o.signingSecret,
    customRoutes: o.customRoutes,
    logger: boltLogger(o.log),
    processEventErrorHandler: async (args) => {
      log.error({ err: args.error }, 'Bolt could not process a Slack request');
      return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
    },
  });
  const bolt = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || path !== EVENTS_PATH) return bolt(req, res);
    void (async () => {
      const raw = await buffer(req, defaultBodyLimit);
      if (!raw) return answer(res, 413);
      // Bolt reads the body we buffered instead of the stream (its bufferIncomingMessage checks rawBody).
      Object.assign(req, { rawBody: raw });
      const text = raw.toString();
      const signed = isValidSlackRequest({
        signingSecret: o.signingSecret,
        body: text,
        headers: {
          'x-slack-signature': String(req.headers['x-slack-signature'] ?? ''),
          'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']),
        },
      });
      const why = signed ? malformed(req.headers['content-type'], text) : undefined;
      if (why) {
        log.warn({ why }, `refused a signed Slack request Bolt cannot handle: ${why}`);
        return answer(res, 400);
      }
      bolt(req, res); // unsigned requests too: Bolt answers 401 and logs them
    })().catch((e) => {
      log.error({ err: e }, 'a Slack request failed before Bolt could handle it');
      answer(res, 500);
    });
  };
  return receiver;
}
