import { createHmac } from 'node:crypto';

/** Slack's request signature: v0=hex(HMAC_SHA256(secret, "v0:" + ts + ":" + body)). */
export function signSlackRequest(signingSecret: string, body: string, ts = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(ts) };
}

export interface SlashCommand {
  command: string;
  text: string;
  user_id: string;
  channel_id: string;
  response_url: string;
  trigger_id?: string;
}

/** Every field Slack sends with a slash command (over HTTP as a form, over Socket Mode as the payload). */
export function slashCommandFields(fields: SlashCommand): Record<string, string> {
  return {
    token: 'unused',
    team_id: 'T0SANDBOX',
    team_domain: 'sandbox',
    channel_name: 'deploys',
    user_name: fields.user_id,
    api_app_id: 'A0SANDBOX',
    trigger_id: fields.trigger_id ?? `trigger.${Date.now()}`,
    ...fields,
  };
}

/** POST a signed slash command to a Bolt app, as Slack would. */
export async function sendSlashCommand(
  botUrl: string,
  signingSecret: string,
  fields: SlashCommand,
): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams(slashCommandFields(fields)).toString();
  return postSigned(botUrl, signingSecret, body);
}

/** POST a signed interaction payload (button click, view submission). */
export async function sendInteraction(botUrl: string, signingSecret: string, payload: unknown) {
  return postSigned(
    botUrl,
    signingSecret,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
  );
}

async function postSigned(
  botUrl: string,
  signingSecret: string,
  body: string,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${botUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(signingSecret, body),
    },
    body,
  });
  return { status: res.status, body: await res.text() };
}
