/**
 * Issue 10, point 8: two bot processes (src/main.ts in HTTP Slack mode, as `npm start` runs it) on one state
 * database, both talking to one stand-in Slack, given the same Run verification click verify once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { BOT_TOKEN, buttonsOf, CHANNEL } from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';
import { killAll, migrationsDir, type SlackBot, startSlackBot } from '../support/slack-bots.js';
import { until } from '../support/started.js';

/** Time for a duplicate delivery to post a second table if it were going to (one check takes well under this). */
const GRACE_MS = 2_000;

describe('two bot processes, one click', () => {
  const bots: SlackBot[] = [];
  let slack: FakeSlack;
  let state = '';
  beforeAll(async () => {
    slack = await startFakeSlack({ botToken: BOT_TOKEN });
    const env = {
      DATABASE_URL: await createTestDatabase('mg_clicks_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_clicks_staging'),
      DEPLOY_CONFIG: migrationsDir({
        '001_t.sql': 'create table t (id int primary key);\n',
        '001_t.checks.yml': '- { name: t exists, table: t }\n',
      }),
    };
    state = env.DATABASE_URL;
    bots.push(...(await Promise.all([startSlackBot(slack, env), startSlackBot(slack, env)])));
  });
  afterAll(async () => {
    killAll(bots);
    await slack?.close();
  });

  const tables = () =>
    slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).startsWith('Verification on staging, run now by'));
  /** Wait for the `n`th verification table, then long enough that another one would have come. */
  const tablesAfter = async (n: number) => {
    await until(`verification table ${n}`, async () => (tables().length >= n ? true : undefined));
    await new Promise((r) => setTimeout(r, GRACE_MS));
    return tables().length;
  };

  it('the same Run verification click delivered to both processes runs verification once', async () => {
    const [a, b] = bots as [SlackBot, SlackBot];
    expect((await a.slash('001')).status).toBe(200);
    const verifyCard = () =>
      [...slack.callsTo('chat.update')]
        .reverse()
        .find((c) => buttonsOf((c.args.blocks as unknown[]) ?? []).some((x) => x.action_id === 'run.verify'));
    const card = await until('the ended run card with Run verification', async () => verifyCard());
    const button = buttonsOf(card.args.blocks as unknown[]).find((x) => x.action_id === 'run.verify')!;
    const payload = {
      type: 'block_actions',
      user: { id: 'U0REQUESTER' },
      channel: { id: CHANNEL },
      trigger_id: '1234.5678.abcdef',
      response_url: slack.responseUrl('U0REQUESTER', CHANNEL),
      container: { type: 'message', message_ts: String(card.args.ts), channel_id: CHANNEL },
      message: { ts: String(card.args.ts) },
      actions: [
        { type: 'button', action_id: 'run.verify', block_id: 'x', value: button.value, action_ts: '1.2' },
      ],
    };
    const answers = await Promise.all([a, b].map((bot) => bot.interact(payload)));
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(await tablesAfter(1)).toBe(1);
    expect(
      await query(
        state,
        "select actor from migration_gate_state.audit_events where action = 'verify.on_demand'",
      ),
    ).toEqual([{ actor: 'U0REQUESTER' }]);

    // A second, separate click (its own trigger id) verifies again: only the duplicate delivery was dropped.
    expect((await b.interact({ ...payload, trigger_id: '1234.5678.second' })).status).toBe(200);
    expect(await tablesAfter(2)).toBe(2);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  });
});
