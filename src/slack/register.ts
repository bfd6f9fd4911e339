/** Every Slack binding of the app, on one screen. Each acks first, then validates, then hands over. */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Service } from '../service.js';
import { textMessage } from './blocks.js';
import { type Chat, ephemeral } from './chat.js';
import { MONITOR_ACTIONS } from './monitor-blocks.js';
import { ACTIONS } from './mrkdwn.js';

export const COMMAND = '/deploy-migration';

/** Slack's ids (users, channels) are upper-case letters and digits; anything else was not sent by Slack. */
const slackId = (what: string) => z.string().regex(/^[A-Z0-9]{2,40}$/, `its ${what} is not one Slack sends`);
/** PostgreSQL text cannot hold NUL; it and the other control characters carry no meaning in what people type. */
const typed = (t: string) => t.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');

const slashPayload = z.object({
  user_id: slackId('user id'),
  channel_id: slackId('channel id'),
  text: z.string().default('').transform(typed),
});

/** The largest run number (and alert id) PostgreSQL's integer holds. */
const INT_MAX = 2_147_483_647;
const buttonValue = z.object({
  r: z
    .int('its run number is not a number')
    .positive('its run number is not a run number')
    .max(
      INT_MAX,
      `it names a run number no run can have: run numbers stop at ${INT_MAX.toLocaleString('en-US')}`,
    ),
  i: z
    .int('its step is not a number')
    .min(-1, 'its step is not a step')
    .max(INT_MAX, 'its step is not a step'),
  d: z
    .string()
    .max(64)
    .regex(/^[\x20-\x7e]*$/, 'its card version is not one the bot writes'),
});
const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    let raw: unknown;
    try {
      raw = JSON.parse(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'it is not JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data as z.infer<T>;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  });
const clickPayload = z.object({
  user: z.object({ id: slackId('user id') }),
  channel: z.object({ id: slackId('channel id') }),
  trigger_id: z.string().optional(),
  actions: z.tuple([z.object({ action_id: z.string(), value: jsonOf(buttonValue) })]),
});
const modalPayload = z.object({
  user: z.object({ id: slackId('user id') }),
  view: z.object({
    private_metadata: jsonOf(
      buttonValue.extend({ decision: z.enum(['reject', 'conditions']), channel: slackId('channel id') }),
    ),
    state: z.object({
      values: z.object({
        reason: z.object({
          text: z.object({
            value: z
              .string()
              .nullish()
              .transform((v) => typed(v ?? '')),
          }),
        }),
      }),
    }),
  }),
});

/** "its run number …; its user id …": what was wrong, from our own messages (zod's defaults say "Invalid input"). */
function why(error: z.ZodError): string {
  const ours = error.issues.map((i) => i.message).filter((m) => m.startsWith('it'));
  return [...new Set(ours)].join('; ') || 'a part of it is missing';
}

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
      await reply(
        textMessage(`That command was not understood (${why(parsed.error)}), so nothing was done.`),
      );
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
          textMessage(
            `That button's data was not understood (${why(parsed.error)}), so nothing was recorded. Use the latest card.`,
          ),
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
    if (!parsed.success) {
      await ack({
        response_action: 'errors',
        errors: {
          reason: `This form's data was not understood (${why(parsed.error)}), so nothing was recorded. Close it and use the latest card.`,
        },
      });
      return;
    }
    const reason = parsed.data.view.state.values.reason.text.value.trim();
    if (reason.length < 3) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'Say why in a few words (at least 3 characters).' },
      });
      return;
    }
    await ack();
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
