/** Issue 10, point 8: two replicas on one state database given the same Run verification click verify once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendInteraction } from '../../src/sandbox/sign.js';
import { buttonsOf, CHANNEL, type Harness, SIGNING_SECRET, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const options = {
  migrations: {
    '001_t.sql': 'create table t (id int primary key);\n',
    '001_t.checks.yml': '- { name: t exists, table: t }\n',
  },
};

describe('two replicas, one click', () => {
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    a = await startHarness(options);
  });
  afterAll(async () => {
    await b?.bot.stop();
    await b?.store.close();
    await a?.stop();
  });

  it('the same Run verification click delivered to both replicas runs verification once', async () => {
    await a.slash('001');
    await a.settle();
    // Replica B: a second Bolt app with its own pool on the same state database, the same targets and Slack.
    b = await startHarness(options, a);
    const card = [...a.slack.callsTo('chat.update')]
      .reverse()
      .find((c) => buttonsOf((c.args.blocks as unknown[]) ?? []).some((x) => x.action_id === 'run.verify'))!;
    const button = buttonsOf(card.args.blocks as unknown[]).find((x) => x.action_id === 'run.verify')!;
    const payload = {
      type: 'block_actions',
      user: { id: 'U0REQUESTER' },
      channel: { id: CHANNEL },
      trigger_id: '1234.5678.abcdef',
      response_url: a.slack.responseUrl('U0REQUESTER', CHANNEL),
      container: { type: 'message', message_ts: String(card.args.ts), channel_id: CHANNEL },
      message: { ts: String(card.args.ts) },
      actions: [
        { type: 'button', action_id: 'run.verify', block_id: 'x', value: button.value, action_ts: '1.2' },
      ],
    };
    const answers = await Promise.all(
      [a, b].map((r) => sendInteraction(r.bot.url!, SIGNING_SECRET, payload)),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    await Promise.all([a.settle(), b.settle()]);
    const tables = a.slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).startsWith('Verification on staging, run now by'));
    expect(tables).toHaveLength(1);
    expect(
      await query(
        a.stateUrl,
        "select actor from migration_gate_state.audit_events where action = 'verify.on_demand'",
      ),
    ).toEqual([{ actor: 'U0REQUESTER' }]);

    // A second, separate click (its own trigger id) verifies again: only the duplicate delivery was dropped.
    await sendInteraction(b.bot.url!, SIGNING_SECRET, { ...payload, trigger_id: '1234.5678.second' });
    await b.settle();
    expect(
      a.slack
        .callsTo('chat.postMessage')
        .filter((c) => String(c.args.text).startsWith('Verification on staging, run now by')),
    ).toHaveLength(2);
  });
});
