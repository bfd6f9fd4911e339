/** Every Slack binding of the app, on one screen. Each acks first, then validates, then hands over. */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Service } from '../service.js';
import { textMessage } from './blocks.js';
import { type Chat, ephemeral } from './chat.js';
import { MONITOR_ACTIONS } from './monitor-blocks.js';
import { ACTIONS } from './mrkdwn.js';

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

const buttonValue = z.object({
  r: z.int().positive(),
  i: z.int().min(-1).max(2_000_000_000),
  d: z.string().max(64),
});
const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    try {
      return schema.parse(JSON.parse(s)) as z.infer<T>;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not valid' });
      return z.NEVER;
    }
  });
const clickPayload = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().optional(),
  actions: z.tuple([z.object({ action_id: z.string(), value: jsonOf(buttonValue) })]),
});
const modalPayload = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    private_metadata: jsonOf(
      buttonValue.extend({ decision: z.enum(['reject', 'conditions']), channel: z.string().min(1) }),
    ),
    state: z.object({
      values: z.object({ reason: z.object({ text: z.object({ value: z.string().nullish() }) }) }),
    }),
  }),
});

const DECISIONS = {
  [ACTIONS.approve]: 'approve',
  [ACTIONS.conditions]: 'conditions',
  [ACTIONS.reject]: 'reject',
  [ACTIONS.cancel]: 'cancel',
  [ACTIONS.rollback]: 'rollback',
  [ACTIONS.rerun]: 'rerun',
  [ACTIONS.verifyNow]: 'verify',
  [MONITOR_ACTIONS.ack]: 'ack',
  [MONITOR_ACTIONS.keep]: 'keep',
} as const;

export function registerSlack(app: App, service: Service, chat: Chat, secrets: readonly string[]): void {
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

  for (const [actionId, decision] of Object.entries(DECISIONS)) {
    app.action(actionId, async ({ ack, body, respond }) => {
      await ack();
      const reply = ephemeral(respond, secrets);
      const parsed = clickPayload.safeParse(body);
      if (!parsed.success) {
        await reply(
          textMessage("That button's data was not understood, so nothing was recorded. Use the latest card."),
        );
        return;
      }
      const p = parsed.data;
      service.click({
        user: p.user.id,
        value: p.actions[0].value,
        decision,
        channel: p.channel.id,
        triggerId: p.trigger_id,
        respond: reply,
      });
    });
  }

  app.view(ACTIONS.reasonModal, async ({ ack, body }) => {
    const parsed = modalPayload.safeParse(body);
    const reason = parsed.success ? (parsed.data.view.state.values.reason.text.value ?? '').trim() : '';
    if (parsed.success && reason.length < 3) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'Say why in a few words (at least 3 characters).' },
      });
      return;
    }
    await ack();
    if (!parsed.success) return;
    const { user, view } = parsed.data;
    const meta = view.private_metadata;
    service.click({
      user: user.id,
      value: { r: meta.r, i: meta.i, d: meta.d },
      decision: meta.decision,
      reason: reason.slice(0, 1000),
      channel: meta.channel,
      respond: (m) => chat.ephemeral(meta.channel, user.id, m),
    });
  });
}
