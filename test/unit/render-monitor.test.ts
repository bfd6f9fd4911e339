/**
 * The monitoring message and alerts, as people read them: each reading from a rule written as in deploy.yml,
 * judged over its history, then rendered. A value over a line is never ✅, and lines keep their units.
 */
import { describe, expect, it } from 'vitest';
import { judge, type Level, type MetricRule, parseThreshold } from '../../src/deploy/monitoring.js';
import { describeRollback, planRollback } from '../../src/deploy/rollback-plan.js';
import type { Run } from '../../src/deploy/types.js';
import { type AlertRollback, alertMessage, monitorMessage, reading } from '../../src/slack/monitor-blocks.js';
import type { Message } from '../../src/slack/mrkdwn.js';

const rule = (key: string, lines: { warn?: string; critical?: string }, more: Partial<MetricRule> = {}) => ({
  key,
  warn: lines.warn ? parseThreshold(lines.warn) : undefined,
  critical: lines.critical ? parseThreshold(lines.critical) : undefined,
  consecutive: 1,
  rollback: false,
  dryRun: false,
  ...more,
});
const errorRate = (consecutive: number) =>
  rule('error_rate', { warn: '> 0.1%', critical: '> 1%' }, { consecutive, rollback: true });
const shown = (
  r: MetricRule,
  value: number | undefined,
  history: Level[] = [],
  o: { unit?: string; baseline?: number; unavailable?: string; quiet?: string; dryRun?: boolean } = {},
) => ({
  ...judge(r, value, o.baseline, history, o.unavailable, o.quiet),
  unit: o.unit ?? '',
  dryRun: o.dryRun ?? false,
});

describe('one reading', () => {
  it.each([
    [
      'over critical, 1 of 3 in a row: red, never ✅',
      shown(errorRate(3), 26.9, [], { unit: '%' }),
      '🔴 *error_rate* 26.9% (critical &gt; 1%, 1 of 3 in a row)',
    ],
    [
      'the third in a row counts',
      shown(errorRate(3), 26.9, ['critical', 'critical'], { unit: '%' }),
      '🔴 *error_rate* 26.9% (critical &gt; 1%, 3 of 3 in a row)',
    ],
    [
      'beyond the count',
      shown(errorRate(3), 5, ['critical', 'critical', 'critical', 'critical'], { unit: '%' }),
      '🔴 *error_rate* 5% (critical &gt; 1%, 5 in a row)',
    ],
    [
      'a good reading resets the count',
      shown(errorRate(3), 2, ['critical', 'ok'], { unit: '%' }),
      '🔴 *error_rate* 2% (critical &gt; 1%, 1 of 3 in a row)',
    ],
    [
      'over critical while warn has held 3 in a row',
      shown(errorRate(3), 2, ['warn', 'warn'], { unit: '%' }),
      '🔴 *error_rate* 2% (critical &gt; 1%, 1 of 3 in a row; counts as a warning until then)',
    ],
    [
      'over warn only: the warn line, as configured (not "> 0.100")',
      shown(errorRate(1), 0.5, [], { unit: '%' }),
      '⚠️ *error_rate* 0.5% (warn &gt; 0.1%)',
    ],
    [
      'under every line: ✅ against the lowest line',
      shown(errorRate(3), 0.05, [], { unit: '%' }),
      '✅ *error_rate* 0.05% (warn &gt; 0.1%)',
    ],
    [
      'only a critical line',
      shown(rule('deadlocks', { critical: '> 0' }), 0),
      '✅ *deadlocks* 0 (critical &gt; 0)',
    ],
    [
      'twice in a row with no count configured',
      shown(rule('deadlocks', { critical: '> 0' }), 2, ['critical']),
      '🔴 *deadlocks* 2 (critical &gt; 0, 2 in a row)',
    ],
    [
      'a line relative to the baseline shows where it falls',
      shown(rule('mean_query_ms', { critical: '> baseline + 20%' }), 12.5, [], { unit: ' ms', baseline: 10 }),
      '🔴 *mean_query_ms* 12.5 ms (critical &gt; 12 (&gt; baseline + 20%))',
    ],
    [
      'a relative line without a baseline',
      shown(rule('mean_query_ms', { critical: '> baseline + 20%' }), 50, [], { unit: ' ms' }),
      '✅ *mean_query_ms* 50 ms (critical &gt; baseline + 20% (no baseline))',
    ],
    [
      'a custom metric with a warn line',
      shown(rule('function_mean_ms(f)', { warn: '>= 15' }), 15.04, [], { unit: ' ms' }),
      '⚠️ *function_mean_ms(f)* 15 ms (warn &gt;= 15)',
    ],
    [
      'dry run',
      shown(errorRate(1), 3, [], { unit: '%', dryRun: true }),
      '🔴 *error_rate* 3% (critical &gt; 1%) · dry run: reported only',
    ],
    [
      'not measured',
      shown(errorRate(1), undefined, [], { unavailable: 'pg_stat_statements is not installed' }),
      '⚠️ *error_rate*: not measured: pg_stat_statements is not installed',
    ],
    [
      'nothing to measure',
      shown(errorRate(1), undefined, [], { quiet: 'no calls' }),
      '➖ *error_rate*: no calls',
    ],
  ])('%s', (_name, j, text) => {
    expect(reading(j)).toBe(text);
  });
});

const run = {
  id: 17,
  migration: '024_atomic',
  steps: [{ env: 'production', name: 'monitor', status: 'watching' }],
};
const texts = (m: Message) =>
  (m.blocks as { type: string; text?: { text: string } }[])
    .filter((b) => b.type === 'section')
    .map((b) => b.text!.text)
    .join('\n');

describe('the monitoring message', () => {
  const view = (judged: ReturnType<typeof shown>[]) => ({
    env: 'production',
    plan: 'day',
    done: 4,
    missed: 1,
    total: 19,
    nextAt: '2026-11-21T11:05:00.000Z',
    latest: { at: '2026-11-21T11:00:00.000Z', judged },
  });

  it('a checkpoint with one reading over its line and the rest fine', () => {
    const m = monitorMessage(
      17,
      view([
        shown(rule('deadlocks', { critical: '> 0' }), 0),
        shown(errorRate(3), 26.9, ['ok'], { unit: '%' }),
        shown(rule('function_mean_ms(atomic)', { warn: '> 15' }), 4.2, [], { unit: ' ms' }),
      ]),
    );
    expect(m.text).toBe('Monitoring production for run #17: 5/19 checkpoints, 1 missed · next 11:05 UTC');
    expect(texts(m)).toBe(
      [
        '*Monitoring production* · plan `day` · 5/19 checkpoints, 1 missed · next 11:05 UTC',
        'Checkpoint at 11:00 UTC:',
        '✅ *deadlocks* 0 (critical &gt; 0)',
        '🔴 *error_rate* 26.9% (critical &gt; 1%, 1 of 3 in a row)',
        '✅ *function_mean_ms(atomic)* 4.2 ms (warn &gt; 15)',
      ].join('\n'),
    );
  });

  it('100 readings: every one is shown, none cut', () => {
    const judged = Array.from({ length: 100 }, (_, i) =>
      shown(rule(`custom_metric_${String(i).padStart(3, '0')}`, { warn: '> 10', critical: '> 50' }), i),
    );
    const m = monitorMessage(17, view(judged));
    const all = texts(m);
    expect(all).not.toContain('truncated');
    const lines = all.split('\n').filter((l) => l.includes('custom_metric_'));
    expect(lines).toHaveLength(100);
    expect(lines[0]).toBe('✅ *custom_metric_000* 0 (warn &gt; 10)');
    expect(lines[11]).toBe('⚠️ *custom_metric_011* 11 (warn &gt; 10)');
    expect(lines[99]).toBe('🔴 *custom_metric_099* 99 (critical &gt; 50)');
    for (const b of m.blocks as { text?: { text: string } }[])
      expect(b.text?.text.length ?? 0).toBeLessThan(3000);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
  });

  it('before the first checkpoint, and when done', () => {
    const first = monitorMessage(17, { env: 'staging', plan: 'short', done: 0, missed: 0, total: 1 });
    expect(JSON.stringify(first.blocks)).toContain('The first checkpoint is still to come.');
    expect(first.text).toBe('Monitoring staging for run #17: 0/1 checkpoint');
    const done = monitorMessage(17, { ...view([]), done: 18, missed: 1, finished: true });
    expect(texts(done)).toContain('19/19 checkpoints, 1 missed · done');
  });
});

describe('alerts', () => {
  const judged = [
    shown(rule('deadlocks', { critical: '> 0' }, { rollback: true }), 2, [], {}),
    shown(errorRate(3), 26.9, [], { unit: '%' }),
    shown(rule('shield_failures', { warn: '> 10' }), 12),
    shown(rule('queue_depth', { critical: '> 5' }), 9, [], { dryRun: true }),
  ];
  const alert = (level: 'warn' | 'critical', rollback?: AlertRollback) =>
    alertMessage(run as unknown as Run, 'production', level, judged, {
      oncall: 'S0ONCALL',
      alertId: 4,
      rollback,
    });
  const PLAN =
    'Will undo on production, newest first: `024` (`024.down.sql`). `001` stays applied: no down file for `001`.';

  it('critical: only the readings that count as critical, on-call mentioned, and what people can do', () => {
    const m = alert('critical');
    expect(m.text).toBe('Critical on production: deadlocks 2');
    expect(texts(m)).toBe(
      '<!subteam^S0ONCALL> 🔴 *Critical* on production · run #17 `024_atomic`\n🔴 *deadlocks* 2 (critical &gt; 0)',
    );
    const buttons = (m.blocks as { type: string; elements?: { text: { text: string } }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements!.map((e) => e.text.text));
    expect(buttons).toEqual(['Roll back', 'Acknowledge', 'Keep watching']);
  });

  it('critical with a rollback under way: says so and what it undoes, no buttons', () => {
    const m = alert('critical', { when: 'now', plan: PLAN });
    expect(texts(m)).toContain(`\n↩️ A rollback trigger fired: rolling back now. ${PLAN}`);
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('critical where the rollback needs approval: never says "rolling back now"', () => {
    const m = alert('critical', { when: 'approval', plan: PLAN });
    expect(texts(m)).toContain(
      `\n↩️ A rollback trigger fired: rolling back production needs approval first; the rollback card is in this thread. ${PLAN}`,
    );
    expect(texts(m)).not.toContain('rolling back now');
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('critical where nothing can be undone: says why and offers no Roll back', () => {
    const m = alert('critical', {
      when: 'impossible',
      plan: 'nothing can be rolled back on production: no down file for `001`.',
    });
    expect(texts(m)).toContain('↩️ A rollback trigger fired, but nothing can be rolled back on production');
    const buttons = (m.blocks as { type: string; elements?: { text: { text: string } }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements!.map((e) => e.text.text));
    expect(buttons).toEqual(['Acknowledge', 'Keep watching']);
  });

  it("critical where nothing can be undone, in describeRollback's own words: one sentence that reads right", () => {
    const none = planRollback(['001'], () => false);
    expect(
      texts(alert('critical', { when: 'impossible', plan: describeRollback(none, 'production') })),
    ).toContain(
      '↩️ A rollback trigger fired, but nothing can be rolled back on production: no down file for `001` (write `001.down.sql` or undo by hand).',
    );
    const nothing = planRollback([], () => true);
    expect(
      texts(alert('critical', { when: 'impossible', plan: describeRollback(nothing, 'production') })),
    ).toContain(
      '↩️ A rollback trigger fired, but this run applied nothing on production: there is nothing to roll back.',
    );
  });

  it('warning: the warn readings only, nobody paged', () => {
    const m = alert('warn');
    expect(m.text).toBe('Warning on production: shield_failures 12');
    expect(texts(m)).toBe(
      '⚠️ *Warning* on production · run #17 `024_atomic`\n⚠️ *shield_failures* 12 (warn &gt; 10)',
    );
    expect(m.blocks.some((b) => b.type === 'actions')).toBe(false);
  });
});
