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

  it('two checkpoints asked at the same instant: one is taken, the other is told so, never "Something went wrong"', async () => {
    for (let i = 1; i <= 5; i++) {
      clock.offsetMs = 10 * 60_000 + 5000 + i * 61_000;
      const before = ephemerals(h.slack).length;
      await Promise.all([h.slash('checkpoint #1'), h.slash('checkpoint #1')]);
      await h.settle();
      const answers = ephemerals(h.slack).slice(before);
      expect(answers).toHaveLength(2);
      for (const a of answers) expect(a).not.toContain('Something went wrong');
    }
  });
});
