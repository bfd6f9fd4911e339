import type { webApi } from '@slack/bolt';

type WebClient = webApi.WebClient;

import { redact, redactDeep } from '../deploy/redact.js';
import type { Message } from './blocks.js';

/** What the service needs from Slack. Every outgoing string is scrubbed of secrets here. */
export interface Chat {
  post(channel: string, message: Message, threadTs?: string): Promise<string>;
  update(channel: string, ts: string, message: Message): Promise<void>;
}

export type Respond = (message: Message) => Promise<void>;

export function webChat(client: WebClient, secrets: readonly string[]): Chat {
  const clean = (m: Message) => ({ text: redact(m.text, secrets), blocks: redactDeep(m.blocks, secrets) });
  return {
    async post(channel, message, threadTs) {
      const r = await client.chat.postMessage({
        channel,
        ...clean(message),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return r.ts!;
    },
    async update(channel, ts, message) {
      await client.chat.update({ channel, ts, ...clean(message) });
    },
  };
}

/** Wrap Bolt's respond() so ephemeral answers are scrubbed too. */
export function ephemeral(
  respond: (m: { response_type: 'ephemeral'; text: string; blocks: unknown[] }) => Promise<unknown>,
  secrets: readonly string[],
): Respond {
  return async (m) => {
    await respond({
      response_type: 'ephemeral',
      text: redact(m.text, secrets),
      blocks: redactDeep(m.blocks, secrets),
    });
  };
}
