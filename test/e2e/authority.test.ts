/**
 * Only the right people, exactly once: the permission table enforced on every command and button around the
 * approval buttons (issue "Only the right people…", points 1–4 and 13), over signed requests.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sendInteraction } from '../../src/sandbox/sign.js';
import {
  CHANNEL,
  clock,
  current,
  ephemerals,
  type Harness,
  SIGNING_SECRET,
  startHarness,
} from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const MONITORING = `monitoring:
  plans:
    ten: [{ every: 10m, for: 1h }]
  metrics:
    - { name: failures, sql: "select count(*) from failures", critical: "> 0", consecutive: 3, rollback: true }
  oncall: S0ONCALL
`;
const GATE = `    approvals:
      - { role: dba, usergroup: S0DBA, count: 1 }
`;

describe('who may act on a run', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      topYaml: MONITORING,
      migrations: {
        '001_failures.sql': 'create table failures (id int);\n',
        '001_failures.down.sql': 'drop table failures;\n',
        '001_failures.checks.yml': [
          '- { name: failures exists, table: failures }',
          `- { name: staging only, sql: "select current_database() like 'mg_staging%'", expect: true }`,
          '- name: two concurrent inserts',
          '  concurrent: { times: 2, setup: "create table if not exists sneaky (id int)", sql: "insert into failures select 1 where false" }',
          '  then: { sql: "select count(*) from failures", expect: 0 }',
          '',
        ].join('\n'),
      },
      envYaml: {
        staging: '    monitor: ten\n    autoRollback: true\n',
        production: GATE,
      },
      usergroups: { S0DBA: ['U0DBA1', 'U0DBA2'], S0ONCALL: ['U0ONCALL'] },
    });
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  const runStatus = async (id: number) =>
    (
      await query<{ status: string }>(
        h.stateUrl,
        `select status from migration_gate_state.runs where id = ${id}`,
      )
    )[0]!.status;
  const criticals = () =>
    h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Critical on staging'));

  it('checkpoints on command: outsiders refused; the requester gets one a minute, shown but never acted on', async () => {
    await h.slash('001 to staging');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/👀 monitor/);
    await query(h.targets.staging!, 'insert into failures values (1)');
    for (let i = 0; i < 3; i++) {
      await h.slash('checkpoint #1', 'U0OUTSIDER');
      await h.settle();
      expect(ephemerals(h.slack).at(-1)).toContain(
        'Only <@U0REQUESTER> (who requested run #1), an approver for staging or on-call can take a checkpoint of run #1.',
      );
    }
    await h.slash('watch #1', 'U0OUTSIDER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('can watch run #1.');

    await h.slash('checkpoint #1');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('🔴 *failures* 1 (critical &gt; 0, 1 of 3 in a row)');
    for (let i = 0; i < 2; i++) {
      await h.slash('checkpoint #1', i ? 'U0ONCALL' : 'U0REQUESTER');
      await h.settle();
      expect(ephemerals(h.slack).at(-1)).toContain('one a minute');
    }
    // Two more on command a minute apart (before the first planned one): each is 1 of 3, nothing alerts or rolls back.
    for (const minutes of [1, 2]) {
      clock.offsetMs = minutes * 61_000;
      await h.slash('checkpoint #1', 'U0ONCALL');
      await h.settle();
      expect(ephemerals(h.slack).at(-1)).toContain('🔴 *failures* 1 (critical &gt; 0, 1 of 3 in a row)');
    }
    expect(criticals()).toHaveLength(0);
    expect(await runStatus(1)).toBe('running');
    expect(await query(h.targets.staging!, "select to_regclass('failures') is not null as here")).toEqual([
      { here: true },
    ]);
    await h.slash('cancel #1');
    await h.settle();
    await query(h.targets.staging!, 'delete from failures');
  });

  it('checks on command on a gated environment: its approvers, on-call and the requester; writing checks skipped', async () => {
    await h.slash('verify 001 on production', 'U0OUTSIDER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      "Only production's approvers or on-call can run checks on production.",
    );
    await h.slash('verify 001 on production', 'U0DBA1');
    await h.settle();
    const answer = ephemerals(h.slack).at(-1)!;
    expect(answer).toContain('1 skipped');
    expect(await query(h.targets.production!, "select to_regclass('sneaky') as t")).toEqual([{ t: null }]);
    const audits = await query<{ action: string; actor: string }>(
      h.stateUrl,
      "select action, actor from migration_gate_state.audit_events where action like 'verify%' order by id",
    );
    expect(audits).toContainEqual({ action: 'verify.refused', actor: 'U0OUTSIDER' });
  });

  it('a forged Run verification value for a verify step not reached yet is refused', async () => {
    await h.slash('001_failures');
    await h.settle();
    const run = Number(/Run #(\d+)/.exec(current(h.slack, CARD))![1]);
    const prodVerify = (
      await query<{ idx: number }>(
        h.stateUrl,
        `select idx from migration_gate_state.steps where run_id = ${run} and env = 'production' and name = 'verify'`,
      )
    )[0]!.idx;
    const r = await sendInteraction(h.bot.url!, SIGNING_SECRET, {
      type: 'block_actions',
      user: { id: 'U0REQUESTER' },
      channel: { id: CHANNEL },
      trigger_id: 'trigger-forged-1',
      response_url: h.slack.responseUrl('U0REQUESTER', CHANNEL),
      actions: [{ action_id: 'run.verify', value: JSON.stringify({ r: run, i: prodVerify, d: '' }) }],
    });
    expect(r.status).toBe(200);
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      `Run #${run} has not reached verification on production yet.`,
    );
    await h.slash(`cancel #${run}`);
    await h.settle();
  });

  it('whoever asks for a rollback cannot approve it; two Roll back clicks: one takes effect, the other is refused', async () => {
    // Staging has 001 already (run #1): nothing to apply there. Production applies it, and its verify fails.
    await h.slash('001_failures');
    await h.settle();
    await h.click('Approval needed for production', 'gate.approve', 'U0DBA1');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/production:.*⛔ verify/s);
    await Promise.all([h.click(CARD, 'run.rollback', 'U0DBA1'), h.click(CARD, 'run.rollback', 'U0DBA2')]);
    await h.settle();
    const actions = await query<{ action: string }>(
      h.stateUrl,
      "select action from migration_gate_state.audit_events where action like 'rollback%' order by id",
    );
    expect(actions.map((a) => a.action).sort()).toEqual(['rollback.refused', 'rollback.requested']);
    const [asker] = await query<{ actor: string }>(
      h.stateUrl,
      "select actor from migration_gate_state.audit_events where action = 'rollback.requested'",
    );
    await h.click('Rollback approval needed for production', 'gate.approve', asker!.actor);
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      'You asked for this rollback; someone else must approve it.',
    );
    await h.click(
      'Rollback approval needed for production',
      'gate.approve',
      asker!.actor === 'U0DBA1' ? 'U0DBA2' : 'U0DBA1',
    );
    await h.settle();
    expect(current(h.slack, CARD)).toContain('Rolled back by');
  });
});
