/** A reading taken on command never hides what happened before it from the next planned reading. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock, current, ephemerals, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const MONITORING = `monitoring:
  plans:
    hour: [{ every: 10m, for: 1h }]
  metrics:
    - { metric: rollbacks, critical: "> 0" }
  oncall: S0ONCALL
`;

describe('checkpoints on command and the planned intervals', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      topYaml: MONITORING,
      migrations: { '001_t.sql': 'create table t (id int);\n' },
      envYaml: { staging: '    monitor: hour\n' },
    });
  });
  afterAll(async () => {
    clock.offsetMs = 0;
    await h?.stop();
  });

  it('a rollback seen by a reading on command is still in the next planned reading, which alerts', async () => {
    await h.slash('001');
    await h.settle();
    expect(current(h.slack, /^Run #1 · /)).toMatch(/👀 monitor/);
    await query(h.targets.staging!, 'begin; insert into t values (1); rollback');
    await h.slash('checkpoint #1');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('🔴 *rollbacks* 1 (critical &gt; 0)');
    const alerts = () =>
      h.slack
        .callsTo('chat.postMessage')
        .filter((c) => String(c.args.text).startsWith('Critical on staging'));
    expect(alerts()).toHaveLength(0);

    clock.offsetMs = 10 * 60_000 + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
    expect(current(h.slack, 'Monitoring staging')).toContain('🔴 *rollbacks* 1 (critical &gt; 0)');
    expect(alerts()).toHaveLength(1);
  });
});
