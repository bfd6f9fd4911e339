/** Every Slack binding of the app, on one screen. Each acks first, then validates, then hands over. */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { Service } from '../service.js';
import { RESTORE_ACTIONS } from './backup-blocks.js';
import { textMessage } from './blocks.js';
import { type Chat, ephemeral, type Respond } from './chat.js';
import { MONITOR_ACTIONS } from './monitor-blocks.js';
import { ACTIONS } from './mrkdwn.js';
import { alertRefValue, reasonRefValue, slackId, stepRefValue, why } from './refs.js';

export const COMMAND = '/deploy-migration';

/** PostgreSQL text cannot hold NUL; it and the other control characters carry no meaning in what people type. */
const typed = (t: string) => t.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '');

const slashPayload = z.object({
  user_id: slackId('user id'),
  channel_id: slackId('channel id'),
  text: z.string().default('').transform(typed),
});

const clickPayload = <T extends z.ZodType>(ref: T) =>
  z.object({
    user: z.object({ id: slackId('user id') }),
    channel: z.object({ id: slackId('channel id') }),
    trigger_id: z.string().optional(),
    actions: z.tuple([z.object({ action_id: z.string(), value: ref })]),
  });
const modalPayload = z.object({
  user: z.object({ id: slackId('user id') }),
  view: z.object({
    private_metadata: reasonRefValue,
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
    service.handleSlash({
      user: parsed.data.user_id,
      channel: parsed.data.channel_id,
      text: parsed.data.text,
      respond: reply,
    });
  });

  /** A button: ack, decode its value into a typed reference (or say which part was wrong), hand it over. */
  function onButton<R>(
    actionId: string,
    ref: z.ZodType<R, string>,
    hand: (c: { user: string; ref: R; channel: string; triggerId?: string; respond: Respond }) => void,
  ): void {
    const payload = clickPayload(ref);
    app.action(actionId, async ({ ack, body, respond }) => {
      await ack();
      const reply = ephemeral(respond, secrets);
      const parsed = payload.safeParse(body);
      if (!parsed.success) {
        await reply(
          textMessage(
            `That button's data was not understood (${why(parsed.error)}), so nothing was recorded. Use the latest card.`,
          ),
        );
        return;
      }
      const p = parsed.data;
      hand({
        user: p.user.id,
        ref: p.actions[0].value,
        channel: p.channel.id,
        triggerId: p.trigger_id,
        respond: reply,
      });
    });
  }
  onButton(ACTIONS.approve, stepRefValue, (c) => service.gate({ ...c, decision: 'approve' }));
  onButton(ACTIONS.conditions, stepRefValue, (c) => service.gate({ ...c, decision: 'conditions' }));
  onButton(ACTIONS.reject, stepRefValue, (c) => service.gate({ ...c, decision: 'reject' }));
  onButton(ACTIONS.cancel, stepRefValue, service.cancel);
  onButton(ACTIONS.rollback, stepRefValue, service.rollback);
  onButton(ACTIONS.rerun, stepRefValue, service.rerun);
  // Retry apply re-runs a held apply the way Re-run verification re-runs a held verify (handlers/held.ts).
  onButton(ACTIONS.retryApply, stepRefValue, service.rerun);
  onButton(ACTIONS.verifyNow, stepRefValue, service.verify);
  onButton(RESTORE_ACTIONS.restore, stepRefValue, (c) => service.restore(c, 'restore'));
  onButton(RESTORE_ACTIONS.finish, stepRefValue, (c) => service.restore(c, 'finish'));
  onButton(MONITOR_ACTIONS.ack, alertRefValue, (c) => service.alert(c, false));
  onButton(MONITOR_ACTIONS.keep, alertRefValue, (c) => service.alert(c, true));

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
    service.gate({
      user: user.id,
      ref: { run: meta.run, step: meta.step, digest: meta.digest },
      decision: meta.decision,
      reason: reason.slice(0, 1000),
      channel: meta.channel,
      respond: (m) => chat.ephemeral(meta.channel, user.id, m),
    });
  });
}
