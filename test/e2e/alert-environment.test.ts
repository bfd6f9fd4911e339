/** An alert is answered by the approvers of the environment it is about (and on-call), wherever the run is now. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock, current, ephemerals, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const MONITORING = `monitoring:
  plans:
    one: [{ every: 1m, for: 1m }]
  metrics:
    - { name: queue, sql: "select count(*) from q", critical: "> 0" }
  oncall: S0ONCALL
`;

describe('who answers an alert', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      topYaml: MONITORING,
      migrations: { '001_q.sql': 'create table q (id int);\n' },
      envYaml: {
        staging: '    monitor: one\n',
        production:
          '    monitor: one\n    approvals:\n      - { role: dba, usergroup: S0PRODDBA, count: 1 }\n',
      },
      usergroups: { S0PRODDBA: ['U0PRODDBA'], S0ONCALL: ['U0ONCALL'] },
    });
  });
  afterAll(async () => {
    clock.offsetMs = 0;
    await h?.stop();
  });

  it("a staging alert is not production's to answer, even while production is being watched", async () => {
    await h.slash('001');
    await h.settle();
    await query(h.targets.staging!, 'insert into q values (1)');
    clock.offsetMs = 60_000 + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
    expect(current(h.slack, 'Critical on staging')).toContain('queue');
    await h.click('Approval needed for production', 'gate.approve', 'U0PRODDBA');
    await h.settle();
    expect(current(h.slack, /^Run #1 · /)).toMatch(/production:.*👀 monitor/s);

    await h.click('Critical on staging', 'alert.ack', 'U0PRODDBA');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      "Only staging's approvers or on-call can answer alerts on staging.",
    );
    await h.click('Critical on staging', 'alert.ack', 'U0ONCALL');
    await h.settle();
    expect(current(h.slack, 'Critical on staging')).toContain('<@U0ONCALL>');
  });
});
