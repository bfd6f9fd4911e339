/**
 * Approval stages through Slack: technical (2 of 3) → business (1) → go/no-go (1) on production, each its own
 * card opened once the stage before passed; one person counts in one stage only; a rejection ends the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const STAGES = `    approvals:
      stages:
        - name: technical
          rules:
            - { role: technical, users: [U0DBA, U0OPS, U0QA], count: 2 }
        - name: business
          rules:
            - { role: product manager, users: [U0PM, U0DBA] }
        - name: go/no-go
          rules:
            - { role: engineering lead, usergroup: S0LEAD }
`;
const CARD = /^Run #\d+ · /;
const TECHNICAL = 'Approval needed for production · stage 1 of 3: technical';
const BUSINESS = 'Approval needed for production · stage 2 of 3: business';
const GO = 'Approval needed for production · stage 3 of 3: go/no-go';

describe('approval stages in Slack', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: STAGES },
      usergroups: { S0LEAD: ['U0LEAD'] },
    });
  });
  afterAll(async () => h?.stop());

  const cards = (prefix: string) =>
    h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text ?? '').startsWith(prefix));
  const approvals = async () =>
    (
      await query<{ n: number }>(h.stateUrl, 'select count(*)::int as n from migration_gate_state.approvals')
    )[0]!.n;
  async function clickAndSettle(prefix: string, actionId: string, user: string) {
    const r = await h.click(prefix, actionId, user);
    expect(r.status).toBe(200);
    await h.settle();
  }

  it('technical → business → go/no-go: each card opens once the stage before passed', async () => {
    await h.slash('024_atomic_user_behavior_updates');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(
      /production:\*\s+✅ preflight .*⏸ approval: technical \(technical 0\/2\) · approve in the thread {2}· {2}▫️ approval: business {2}· {2}▫️ approval: go\/no-go {2}· {2}▫️ apply/,
    );
    expect(current(h.slack, TECHNICAL)).toContain('*Approval needed: production · stage 1 of 3: technical*');
    expect(cards(BUSINESS)).toHaveLength(0);

    await clickAndSettle(TECHNICAL, 'gate.approve', 'U0DBA');
    expect(current(h.slack, TECHNICAL)).toContain('technical 1/2 <@U0DBA>');
    expect(cards(BUSINESS)).toHaveLength(0);
    await clickAndSettle(TECHNICAL, 'gate.approve', 'U0OPS');
    expect(current(h.slack, TECHNICAL)).toContain('✅ Approved.');
    expect(cards(BUSINESS)).toHaveLength(1);
    expect(cards(GO)).toHaveLength(0);
    expect(current(h.slack, CARD)).toMatch(
      /✅ approved: technical {2}· {2}⏸ approval: business \(product manager 0\/1\) · approve in the thread/,
    );

    // The waiting stage survives a restart.
    h = await h.restart();
    await clickAndSettle(BUSINESS, 'gate.approve', 'U0DBA');
    expect(ephemerals(h.slack).at(-1)).toMatch(
      /^You approved the technical stage of production 20\d\d-\d\d-\d\d \d\d:\d\d UTC, and one person counts in one stage only: someone else must approve the business stage\. Nothing was recorded\./,
    );
    expect(await approvals()).toBe(2);
    expect(current(h.slack, BUSINESS)).toContain('product manager 0/1');

    await clickAndSettle(BUSINESS, 'gate.approve', 'U0PM');
    expect(cards(GO)).toHaveLength(1);
    expect(current(h.slack, CARD)).toMatch(/⏸ approval: go\/no-go \(engineering lead 0\/1\)/);
    await clickAndSettle(GO, 'gate.approve', 'U0LEAD');

    const final = current(h.slack, CARD);
    expect(final).toMatch(
      /✅ approved: technical {2}· {2}✅ approved: business {2}· {2}✅ approved: go\/no-go {2}· {2}✅ apply/,
    );
    expect(final).toContain('Succeeded');
    const report = lastPost(h.slack, 'Run #1 report');
    // The summary's environment line names each stage (user trial: '✅ approval · ✅ approval · ✅ approval').
    expect(report).toMatch(
      /✅ approval: technical {2}· {2}✅ approval: business {2}· {2}✅ approval: go\/no-go/,
    );
    expect(report).toMatch(/<@U0DBA> approved 20\d\d-.* for deploy to production, stage 1 of 3: technical/);
    expect(report).toMatch(/<@U0PM> approved 20\d\d-.* for deploy to production, stage 2 of 3: business/);
    expect(report).toMatch(/<@U0LEAD> approved 20\d\d-.* for deploy to production, stage 3 of 3: go\/no-go/);
    expect(
      await query(
        h.targets.production!,
        "select 1 from pg_proc where proname = 'atomic_update_user_behavior'",
      ),
    ).toHaveLength(1);
  });

  it('a rejection at the business stage ends the run; go/no-go never opens', async () => {
    await h.slash('025');
    await h.settle();
    await clickAndSettle(TECHNICAL, 'gate.approve', 'U0QA');
    await clickAndSettle(TECHNICAL, 'gate.approve', 'U0OPS');
    const goCards = cards(GO).length;
    await clickAndSettle(BUSINESS, 'gate.reject', 'U0PM');
    expect(JSON.stringify(h.slack.callsTo('views.open').at(-1)?.args)).toContain(
      'Why reject the business stage of production?',
    );
    await h.submitModal('U0PM', 'Not before the quarter closes');
    await h.settle();
    const card = current(h.slack, CARD);
    expect(card).toContain('Rejected by <@U0PM>: Not before the quarter closes');
    expect(card).toMatch(/❌ approval: business rejected {2}· {2}⏭️ approval: go\/no-go {2}· {2}⏭️ apply/);
    expect(current(h.slack, BUSINESS)).toContain('❌ *Rejected* by <@U0PM>');
    expect(cards(GO)).toHaveLength(goCards);
    expect(await query(h.targets.production!, "select to_regclass('user_behaviors_recent') as i")).toEqual([
      { i: null },
    ]);
  });
});
