/**
 * Issue 15.1: the whole staging → gate → production flow over Socket Mode (Bolt's real @slack/socket-mode client,
 * connected to the stand-in's WebSocket) and over signed HTTP, with the same assertions on what people see.
 * Over Socket Mode the stand-in also asks the bot to reconnect half-way, as Slack does when it recycles a
 * connection: the clicks after that arrive on the new connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_TOKEN,
  BOT_TOKEN,
  current,
  ephemerals,
  type Harness,
  lastPost,
  startHarness,
} from '../support/harness.js';
import { query } from '../support/pg.js';

const GATE = `    approvals:
      - { role: product owner, users: [U0PO], count: 1 }
      - { role: dba, usergroup: S0DBA, count: 1 }
`;
const CARD = /^Run #\d+ · /;
const APPROVAL = 'Approval needed for production';

describe.each([
  { transport: 'HTTP', socket: false },
  { transport: 'Socket Mode', socket: true },
])('staging → gate → production over $transport', ({ socket }) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: GATE },
      usergroups: { S0DBA: ['U0DBA1', 'U0REQUESTER'] },
      socket,
    });
  });
  afterAll(async () => h?.stop());

  /** A click as `user`: acknowledged like Slack wants (HTTP 200, or the envelope's ack), then the work done. */
  async function click(actionId: string, user: string) {
    expect((await h.click(APPROVAL, actionId, user)).status).toBe(200);
    await h.settle();
  }

  it('a slash command, refused clicks, an approval, conditions given in the modal, production applied', async () => {
    expect(h.bot.mode).toBe(socket ? 'socket' : 'http');
    expect((await h.slash('024_atomic_user_behavior_updates')).status).toBe(200);
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(
      /staging:\*\s+✅ preflight .*✅ apply .*production:\*\s+✅ preflight .*⏸ approval \(product owner 0\/1, dba 0\/1\)/s,
    );
    expect(current(h.slack, APPROVAL)).toContain(
      'Will apply on *production* exactly these 3 files, in this order:',
    );

    if (socket) {
      // Slack recycles the connection: the client opens a new one through apps.connections.open.
      expect(h.slack.socket.connections).toBe(1);
      h.slack.socket.disconnect('refresh_requested');
      await h.slack.socket.connected(2);
      expect(h.slack.callsTo('apps.connections.open')).toHaveLength(2);
    }

    await click('gate.approve', 'U0REQUESTER');
    expect(ephemerals(h.slack).at(-1)).toContain('You requested this run; someone else must approve it.');
    await click('gate.approve', 'U0OUTSIDER');
    expect(ephemerals(h.slack).at(-1)).toContain(
      'You are not in a rule for production (needs: product owner, dba).',
    );
    await click('gate.approve', 'U0DBA1');
    expect(current(h.slack, APPROVAL)).toContain('dba 1/1 ✅ <@U0DBA1>');

    await click('gate.conditions', 'U0PO');
    expect(h.slack.callsTo('views.open')).toHaveLength(1);
    // The modal's answer rides in the acknowledgement: HTTP's response body, or the ack's payload.
    const empty = await h.submitModal('U0PO', '  ');
    expect(JSON.parse(empty.body)).toEqual({
      response_action: 'errors',
      errors: { reason: 'Say why in a few words (at least 3 characters).' },
    });
    const given = await h.submitModal('U0PO', 'Only after the nightly backup finishes');
    expect(given).toEqual({ status: 200, body: '' });
    await h.settle();

    const card = current(h.slack, CARD);
    expect(card).toMatch(/production:\*\s+✅ preflight .*✅ approved .*✅ apply \d+ ms/s);
    expect(card).toContain('Succeeded');
    expect(current(h.slack, APPROVAL)).toContain(
      '⚠️ *Conditions:*\n• <@U0PO>: Only after the nightly backup finishes',
    );
    const report = lastPost(h.slack, 'Run #1 report');
    expect(report).toMatch(/<@U0DBA1> approved 20\d\d-/);
    expect(report).toContain('<@U0PO> approved with conditions');
    expect(
      await query(
        h.targets.production!,
        "select 1 from pg_proc where proname = 'atomic_update_user_behavior'",
      ),
    ).toHaveLength(1);
    const audit = await query<{ actor: string; action: string }>(
      h.stateUrl,
      "select actor, action from migration_gate_state.audit_events where action in ('click.refused', 'gate.approve', 'gate.conditions') order by id",
    );
    expect(audit.map((a) => `${a.actor} ${a.action}`)).toEqual([
      'U0REQUESTER click.refused',
      'U0OUTSIDER click.refused',
      'U0DBA1 gate.approve',
      expect.stringMatching(/^U0PO gate\.(approve|conditions)$/),
    ]);
  });

  it('a later command still works (over Socket Mode: on the reconnected connection)', async () => {
    expect((await h.slash('status #1')).status).toBe(200);
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toMatch(/Run #1[\s\S]*<@U0PO> approved/);
    if (socket) expect(h.slack.socket.connections).toBe(2);
  });

  it('no token appears in any Slack call, acknowledgement or log line', () => {
    const seen = JSON.stringify([h.slack.calls, h.slack.socket.received, h.logs]);
    expect(h.logs.length).toBeGreaterThan(0);
    for (const token of [APP_TOKEN, BOT_TOKEN]) expect(seen).not.toContain(token);
  });
});
