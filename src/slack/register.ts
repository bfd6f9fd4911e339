/** Every Slack binding of the app, on one screen. */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Service } from '../service.js';
import { textMessage } from './blocks.js';
import { ephemeral } from './chat.js';

export const COMMAND = '/deploy-migration';

const slashPayload = z.object({
  user_id: z.string().min(1),
  channel_id: z.string().min(1),
  // PostgreSQL cannot store NUL characters; they carry no meaning in a command anyway.
  text: z
    .string()
    .default('')
    .transform((t) => t.replace(/\u0000/g, '')),
});

export function registerSlack(app: App, service: Service, secrets: readonly string[]): void {
  app.command(COMMAND, async ({ ack, command, respond }) => {
    await ack(); // first, always: everything else happens after Slack has its 200
    const reply = ephemeral(respond, secrets);
    const parsed = slashPayload.safeParse(command);
    if (!parsed.success) {
      await reply(textMessage('That request was missing the user, channel or text; nothing was done.'));
      return;
    }
    service.handleSlash(
      { user: parsed.data.user_id, channel: parsed.data.channel_id, text: parsed.data.text },
      reply,
    );
  });
}
