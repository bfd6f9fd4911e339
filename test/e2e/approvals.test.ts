import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const GATE = `    approvals:
      - { role: product owner, users: [U0PO], count: 1 }
      - { role: dba, usergroup: S0DBA, count: 1 }
`;
const CARD = /^Run #\d+ · /;
const APPROVAL = 'Approval needed for production';

describe('approval gates in Slack', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: GATE },
      usergroups: { S0DBA: ['U0DBA1', 'U0DBA2', 'U0REQUESTER'] },
    });
  });
  afterAll(async () => h?.stop());

  async function clickAndSettle(actionId: string, user: string, prefix: string | RegExp = APPROVAL) {
    const r = await h.click(prefix, actionId, user);
    expect(r.status).toBe(200);
    await h.settle();
  }

  it('staging → approval → production: refusals, two approvals, the card and the report', async () => {
    await h.slash('024_atomic_user_behavior_updates');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(
      /production:\*\s+✅ preflight .*⏸ approval \(product owner 0\/1, dba 0\/1\)/,
    );
    const card = current(h.slack, APPROVAL);
    expect(card).toContain('Will apply on *production* exactly these 3 files, in this order:');
    expect(card).toMatch(/`024_atomic_user_behavior_updates.sql` sha256 `[0-9a-f]{12}`/);

    await clickAndSettle('gate.approve', 'U0REQUESTER');
    expect(ephemerals(h.slack).at(-1)).toContain('You requested this run; someone else must approve it.');
    await clickAndSettle('gate.approve', 'U0OUTSIDER');
    expect(ephemerals(h.slack).at(-1)).toContain(
      'You are not in a rule for production (needs: product owner, dba).',
    );
    expect(await query(h.stateUrl, 'select count(*)::int as n from migration_gate_state.approvals')).toEqual([
      { n: 0 },
    ]);

    await clickAndSettle('gate.approve', 'U0DBA1');
    expect(current(h.slack, APPROVAL)).toContain('dba 1/1 ✅ <@U0DBA1>');
    expect(current(h.slack, CARD)).toContain('product owner 0/1, dba 1/1 ✅');
    await clickAndSettle('gate.approve', 'U0DBA1');
    expect(ephemerals(h.slack).at(-1)).toMatch(/You already approved this at .* UTC; nothing changed\./);

    await clickAndSettle('gate.approve', 'U0PO');
    const final = current(h.slack, CARD);
    expect(final).toMatch(/production:\*\s+✅ preflight .*✅ approved .*✅ apply \d+ ms/);
    expect(final).toContain('Succeeded');
    expect(current(h.slack, APPROVAL)).toContain('✅ Approved.');
    expect(current(h.slack, APPROVAL)).not.toContain('Reject'); // buttons gone
    const report = lastPost(h.slack, 'Run #1 report');
    expect(report).toMatch(/<@U0DBA1> approved 20\d\d-/);
    expect(report).toMatch(/<@U0PO> approved 20\d\d-/);
    const fn = await query(
      h.targets.production!,
      "select 1 from pg_proc where proname = 'atomic_update_user_behavior'",
    );
    expect(fn).toHaveLength(1);

    const audit = await query<{ actor: string; action: string }>(
      h.stateUrl,
      "select actor, action from migration_gate_state.audit_events where run_id = 1 and action like '%click%' or action like 'gate.%' order by id",
    );
    expect(audit).toEqual([
      { actor: 'U0REQUESTER', action: 'click.refused' },
      { actor: 'U0OUTSIDER', action: 'click.refused' },
      { actor: 'U0DBA1', action: 'gate.approve' },
      { actor: 'U0DBA1', action: 'click.refused' },
      { actor: 'U0PO', action: 'gate.approve' },
      { actor: 'migration-gate', action: 'gate.satisfied' },
    ]);
    await h.slash('status #1');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toMatch(/<@U0PO> approved/);
  });

  it('Reject asks why in a modal, ends the run and shows the reason', async () => {
    await h.slash('025');
    await h.settle();
    await clickAndSettle('gate.reject', 'U0OUTSIDER');
    expect(ephemerals(h.slack).at(-1)).toContain('You are not in a rule for production');
    expect(h.slack.callsTo('views.open')).toHaveLength(0);
    await clickAndSettle('gate.reject', 'U0DBA2');
    expect(h.slack.callsTo('views.open')).toHaveLength(1);
    const empty = await h.submitModal('U0DBA2', '  ');
    expect(JSON.parse(empty.body)).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.any(String) },
    });
    await h.submitModal('U0DBA2', 'Not during peak hours');
    await h.settle();
    expect(current(h.slack, CARD)).toContain('Rejected by <@U0DBA2>: Not during peak hours');
    expect(current(h.slack, APPROVAL)).toContain('❌ *Rejected* by <@U0DBA2>');
    expect(lastPost(h.slack, 'Run #2 report')).toContain('<@U0DBA2> rejected');
    expect(await query(h.targets.production!, "select to_regclass('user_behaviors_recent') as i")).toEqual([
      { i: null },
    ]);
    await clickAndSettle('gate.approve', 'U0PO');
    expect(ephemerals(h.slack).at(-1)).toMatch(/This run was rejected by <@U0DBA2> at/);
  });

  it('Approve with conditions proceeds and the conditions stay on the card and in the report', async () => {
    writeFileSync(join(h.migrationsDir, '026_note.sql'), 'comment on table users is $$accounts$$;\n');
    await h.slash('026');
    await h.settle();
    await clickAndSettle('gate.conditions', 'U0PO');
    await h.submitModal('U0PO', 'Only after the nightly backup finishes');
    await h.settle();
    expect(current(h.slack, APPROVAL)).toContain(
      '⚠️ *Conditions:*\n• <@U0PO>: Only after the nightly backup finishes',
    );
    await clickAndSettle('gate.approve', 'U0DBA1');
    expect(current(h.slack, CARD)).toContain('Succeeded');
    expect(lastPost(h.slack, 'Run #3 report')).toContain('<@U0PO> approved with conditions');
  });

  it('a file changed between staging and production: production refuses and says which', async () => {
    writeFileSync(join(h.migrationsDir, '027_col.sql'), 'alter table users add column nickname text;\n');
    await h.slash('027');
    await h.settle();
    writeFileSync(
      join(h.migrationsDir, '027_col.sql'),
      'alter table users add column nickname varchar(20);\n',
    );
    await clickAndSettle('gate.approve', 'U0PO');
    await clickAndSettle('gate.approve', 'U0DBA1');
    expect(current(h.slack, CARD)).toMatch(
      /Failed: 027_col.sql changed since run #4 started \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\)/,
    );
    const col = await query(
      h.targets.production!,
      "select 1 from information_schema.columns where column_name = 'nickname'",
    );
    expect(col).toHaveLength(0);
    writeFileSync(join(h.migrationsDir, '027_col.sql'), 'alter table users add column nickname text;\n');
  });

  it('a restart while a gate waits: the buttons still work and the state is intact', async () => {
    writeFileSync(
      join(h.migrationsDir, '028_idx.sql'),
      'create index users_created on users (created_at);\n',
    );
    await h.slash('028');
    await h.settle();
    await clickAndSettle('gate.approve', 'U0DBA1');
    h = await h.restart();
    expect(current(h.slack, APPROVAL)).toContain('dba 1/1 ✅ <@U0DBA1>');
    await clickAndSettle('gate.approve', 'U0PO');
    expect(current(h.slack, CARD)).toContain('Succeeded');
    expect(
      await query(h.targets.production!, "select to_regclass('users_created') is not null as i"),
    ).toEqual([{ i: true }]);
  });

  it('cancel: refused for an outsider, done by the requester; the cancelled run refuses its buttons', async () => {
    writeFileSync(join(h.migrationsDir, '029_more.sql'), 'create table audit_log (id int);\n');
    await h.slash('029');
    await h.settle();
    await h.slash('cancel #6', 'U0OUTSIDER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      'Only <@U0REQUESTER> (who requested run #6) or an approver for production can cancel run #6.',
    );
    await clickAndSettle('run.cancel', 'U0REQUESTER', CARD);
    expect(current(h.slack, CARD)).toMatch(/Cancelled by <@U0REQUESTER>/);
    await clickAndSettle('gate.approve', 'U0PO');
    expect(ephemerals(h.slack).at(-1)).toMatch(/This run was cancelled by <@U0REQUESTER> at/);
    expect(await query(h.targets.production!, "select to_regclass('audit_log') as t")).toEqual([{ t: null }]);
  });
});
