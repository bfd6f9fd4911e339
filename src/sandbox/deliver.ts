/**
 * How Slack hands the bot a slash command or an interaction: a signed HTTP request to /slack/events, or an
 * envelope over the Socket Mode connection the bot opened to the stand-in. Both answer as the HTTP request
 * does: status 200 once the bot acknowledged, with the acknowledgement's payload (a view submission's
 * response_action) as the body.
 */
import type { FakeSocket } from './fake-socket.js';
import { type SlashCommand, sendInteraction, sendSlashCommand, slashCommandFields } from './sign.js';

export interface Answer {
  readonly status: number;
  readonly body: string;
}

export interface Delivery {
  slash(fields: SlashCommand): Promise<Answer>;
  interact(payload: unknown): Promise<Answer>;
}

/** Signed HTTP to the bot at `botUrl()` (known once the bot listens). */
export function httpDelivery(botUrl: () => string, signingSecret: string): Delivery {
  return {
    slash: (fields) => sendSlashCommand(botUrl(), signingSecret, fields),
    interact: (payload) => sendInteraction(botUrl(), signingSecret, payload),
  };
}

/** An envelope on the open Socket Mode connection; no ack within Slack's 3 s is 504 (Slack shows an error). */
export function socketDelivery(socket: FakeSocket): Delivery {
  const answer = async (delivered: ReturnType<FakeSocket['deliver']>): Promise<Answer> => {
    const { acked, payload } = await delivered;
    if (!acked) return { status: 504, body: '' };
    return { status: 200, body: Object.keys(payload).length ? JSON.stringify(payload) : '' };
  };
  return {
    slash: (fields) => answer(socket.deliver('slash_commands', slashCommandFields(fields))),
    interact: (payload) => answer(socket.deliver('interactive', payload)),
  };
}
