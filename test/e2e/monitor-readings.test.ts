/**
 * What people read at each checkpoint, over signed requests: a value over a line is never ✅, it shows its
 * level and how many in a row it has been against how many the rule needs, and lines keep their units.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clock, current, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const MONITORING = `monitoring:
  plans:
    hour: [{ every: 10m, for: 1h }]
  metrics:
    - { metric: deadlocks, critical: "> 0" }
    - { name: failed_pct, sql: "select coalesce(max(pct), 0) from failures", warn: "> 0.1%", critical: "> 1%", consecutive: 3 }
  oncall: S0ONCALL
`;

describe('monitoring readings against their lines', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      topYaml: MONITORING,
      migrations: { '001_failures.sql': 'create table failures (pct numeric);\n' },
      envYaml: { staging: '    monitor: hour\n' },
    });
  });
  afterAll(async () => {
    clock.offsetMs = 0;
    await h?.stop();
  });

  // The planned checkpoints, every 10 minutes (readings taken on command never count toward consecutive).
  let n = 0;
  const checkpoint = async () => {
    clock.offsetMs = ++n * 10 * 60_000 + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
    return current(h.slack, 'Monitoring staging');
  };
  const alerts = () =>
    h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Critical on staging'));

  it('over the critical line counts 1 of 3, 2 of 3, then alerts at 3 of 3; never ✅', async () => {
    await h.slash('001');
    await h.settle();
    expect(await checkpoint()).toContain('✅ *failed_pct* 0 (warn &gt; 0.1%)');

    await query(h.targets.staging!, 'insert into failures values (26.9)');
    const first = await checkpoint();
    expect(first).toContain('🔴 *failed_pct* 26.9 (critical &gt; 1%, 1 of 3 in a row)');
    expect(first).toContain('✅ *deadlocks* 0 (critical &gt; 0)');
    expect(first).not.toMatch(/✅ \*failed_pct\*/);
    expect(alerts()).toHaveLength(0);

    expect(await checkpoint()).toContain('🔴 *failed_pct* 26.9 (critical &gt; 1%, 2 of 3 in a row)');
    expect(alerts()).toHaveLength(0);

    expect(await checkpoint()).toContain('🔴 *failed_pct* 26.9 (critical &gt; 1%, 3 of 3 in a row)');
    expect(alerts()).toHaveLength(1);
    expect(current(h.slack, 'Critical on staging')).toContain(
      '🔴 *failed_pct* 26.9 (critical &gt; 1%, 3 of 3 in a row)',
    );

    await query(h.targets.staging!, 'update failures set pct = 0.5');
    expect(await checkpoint()).toContain('⚠️ *failed_pct* 0.5 (warn &gt; 0.1%, 4 in a row)');
    await h.slash('cancel #1');
    await h.settle();
  });
});
