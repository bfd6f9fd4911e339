import type { webApi } from '@slack/bolt';
import { redact, redactDeep } from '../deploy/redact.js';
import type { Message } from './mrkdwn.js';

type WebClient = webApi.WebClient;

/** What the service needs from Slack. Every outgoing string is scrubbed of secrets here. */
export interface Chat {
  post(channel: string, message: Message, threadTs?: string, broadcast?: boolean): Promise<string>;
  update(channel: string, ts: string, message: Message): Promise<void>;
  ephemeral(channel: string, user: string, message: Message, threadTs?: string): Promise<void>;
  openModal(triggerId: string, view: object): Promise<void>;
  /** Share a file in a thread (files.uploadV2); a text file's content is scrubbed like every message. */
  upload(channel: string, threadTs: string, file: UploadFile): Promise<void>;
  /** The members of a user group (cached briefly). */
  groupMembers(group: string): Promise<string[]>;
  /** A link to a message (chat.getPermalink): what notify: messages and after: webhooks point at. */
  permalink(channel: string, ts: string): Promise<string>;
}

export interface UploadFile {
  readonly filename: string;
  readonly title: string;
  /** Text, or bytes (a PNG chart: it must hold no secret, as it cannot be scrubbed). */
  readonly content: string | Uint8Array;
  /** The message the file is shared with. */
  readonly initialComment?: string;
}

export type Respond = (message: Message) => Promise<void>;

const GROUP_CACHE_MS = 60_000;

export function webChat(client: WebClient, secrets: readonly string[], now: () => number = Date.now): Chat {
  const clean = (m: Message) => ({ text: redact(m.text, secrets), blocks: redactDeep(m.blocks, secrets) });
  const groups = new Map<string, { at: number; members: string[] }>();
  return {
    async post(channel, message, threadTs, broadcast) {
      const r = await client.chat.postMessage(
        threadTs
          ? { channel, ...clean(message), thread_ts: threadTs, reply_broadcast: !!broadcast }
          : { channel, ...clean(message) },
      );
      return r.ts!;
    },
    async update(channel, ts, message) {
      await client.chat.update({ channel, ts, ...clean(message) });
    },
    async ephemeral(channel, user, message, threadTs) {
      await client.chat.postEphemeral({
        channel,
        user,
        ...clean(message),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
    },
    async openModal(triggerId, view) {
      await client.views.open({ trigger_id: triggerId, view: redactDeep(view, secrets) as never });
    },
    async upload(channel, threadTs, file) {
      await client.files.uploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        filename: file.filename,
        title: redact(file.title, secrets),
        ...(typeof file.content === 'string'
          ? { content: redact(file.content, secrets) }
          : { file: Buffer.from(file.content) }),
        ...(file.initialComment ? { initial_comment: redact(file.initialComment, secrets) } : {}),
      });
    },
    async groupMembers(group) {
      const hit = groups.get(group);
      if (hit && now() - hit.at < GROUP_CACHE_MS) return hit.members;
      const r = await client.usergroups.users.list({ usergroup: group });
      const members = r.users ?? [];
      groups.set(group, { at: now(), members });
      return members;
    },
    async permalink(channel, ts) {
      const r = await client.chat.getPermalink({ channel, message_ts: ts });
      return r.permalink ?? '';
    },
  };
}

/** Wrap Bolt's respond() so ephemeral answers are scrubbed too. */
export function ephemeral(
  respond: (m: {
    response_type: 'ephemeral';
    text: string;
    blocks: unknown[];
    replace_original?: boolean;
  }) => Promise<unknown>,
  secrets: readonly string[],
): Respond {
  return async (m) => {
    await respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: redact(m.text, secrets),
      blocks: redactDeep(m.blocks, secrets),
    });
  };
}
