/** The Chat port with every failed Slack Web API call counted (by method and Slack's error), then rethrown. */
import type { Chat } from '../slack/chat.js';
import type { BotMetrics } from './metrics.js';

/** The Web API method behind each Chat method. */
const METHODS: Record<keyof Chat, string> = {
  post: 'chat.postMessage',
  update: 'chat.update',
  ephemeral: 'chat.postEphemeral',
  openModal: 'views.open',
  upload: 'files.uploadV2',
  groupMembers: 'usergroups.users.list',
  permalink: 'chat.getPermalink',
};

/**
 * What went wrong, as a bounded label: Slack's own error code (`not_in_channel`, `ratelimited`) for an answer
 * with ok: false, else @slack/web-api's error kind (`slack_webapi_request_error`: no answer), else `unknown`.
 */
export function slackErrorOf(e: unknown): string {
  const err = (e ?? {}) as { code?: unknown; data?: { error?: unknown } };
  for (const v of [err.data?.error, err.code])
    if (typeof v === 'string' && /^[a-z0-9_]{1,60}$/.test(v)) return v;
  return 'unknown';
}

export function countSlackErrors(chat: Chat, metrics: Pick<BotMetrics, 'slackError'>): Chat {
  const counted = {} as Record<keyof Chat, unknown>;
  for (const name of Object.keys(METHODS) as (keyof Chat)[]) {
    const call = chat[name] as (...args: unknown[]) => Promise<unknown>;
    counted[name] = async (...args: unknown[]) => {
      try {
        return await call.apply(chat, args);
      } catch (e) {
        metrics.slackError(METHODS[name], slackErrorOf(e));
        throw e;
      }
    };
  }
  return counted as unknown as Chat;
}
