/**
 * Issue 15.1: a bot process in Socket Mode (src/main.ts as `npm start` runs it with SLACK_APP_TOKEN) is sent
 * messages it cannot handle on its connection. Unguarded, @slack/socket-mode's async message listener threw on
 * JSON `null` and on an events_api envelope without its event, and the unhandled rejection ended the process.
 * Each is logged and dropped unacked; nothing is done for an envelope without an id; the next command works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { APP_TOKEN, BOT_TOKEN, CHANNEL, ephemerals } from '../support/harness.js';
import { createTestDatabase } from '../support/pg.js';
import { killAll, migrationsDir, type SlackBot, startSlackBot } from '../support/slack-bots.js';
import { until } from '../support/started.js';

const slashPayload = (text: string) => ({
  command: '/deploy-migration',
  text,
  user_id: 'U0REQUESTER',
  channel_id: CHANNEL,
  response_url: 'http://127.0.0.1:9/unused',
  trigger_id: '1.2.3',
});

/** Each message, and the sentence the bot logs when it drops it. */
const MALFORMED: [string, string][] = [
  ['{"envelope_id": "e1", "type": "slash_commands", ', 'the message is not JSON'],
  ['null', 'the message is not a JSON object'],
  ['[1, 2]', 'the message is not a JSON object'],
  ['{"envelope_id": "e2"}', 'the message has no type'],
  [
    JSON.stringify({ envelope_id: 'e3', type: 'events_api' }),
    'an envelope of type events_api without a payload object',
  ],
  [
    JSON.stringify({ envelope_id: 'e4', type: 'events_api', payload: { event: null } }),
    'an events_api payload without a typed event',
  ],
  [
    JSON.stringify({ type: 'slash_commands', payload: slashPayload('001'), accepts_response_payload: true }),
    'an envelope of type slash_commands without an envelope_id',
  ],
  [
    JSON.stringify({ envelope_id: 'e5', type: 'interactive', payload: { type: 'block_actions' } }),
    'a block_actions payload without a valid actions',
  ],
  [
    JSON.stringify({ envelope_id: 'e6', type: 'slash_commands', payload: 'text' }),
    'without a payload object',
  ],
];

describe('Socket Mode: malformed envelopes', () => {
  const bots: SlackBot[] = [];
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    const env = {
      DATABASE_URL: await createTestDatabase('mg_socket_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_socket_staging'),
      DEPLOY_CONFIG: migrationsDir({ '001_t.sql': 'create table t (id int primary key);\n' }),
    };
    bots.push(await startSlackBot(slack, env, { socket: true }));
  });
  afterAll(async () => {
    killAll(bots);
    await slack?.close();
  });

  it('are logged and dropped unacked; the bot keeps running and answers the next command', async () => {
    const bot = bots[0]!;
    await slack.socket.connected(1);
    for (const [message] of MALFORMED) slack.socket.sendRaw(message);

    // The next command, on the same connection (after the malformed messages): answered, so the bot lives.
    expect(await bot.slash('list')).toEqual({ status: 200, body: '' });
    const list = await until('the list', async () => ephemerals(slack).at(-1));
    expect(list).toMatch(/001_t\s+[0-9a-f]{12}\s+▫️ pending/);
    expect(bot.child.exitCode).toBeNull();
    expect(slack.socket.connections).toBe(1);
    // Nothing was deployed for the envelope without an id, and only the list was acked.
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(slack.socket.received).toEqual([{ envelope_id: expect.any(String), payload: {} }]);

    const log = () => bot.output.join('');
    for (const [, why] of MALFORMED)
      await until(`"${why}" in the log`, async () => log().includes(why) || undefined, 10_000);
    expect(log()).toContain('dropped a Socket Mode message the bot cannot handle: the message is not JSON');
  });
});
