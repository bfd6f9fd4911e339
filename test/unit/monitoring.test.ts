import { describe, expect, it } from 'vitest';
import { metricValue } from '../../src/deploy/metrics.js';
import {
  actionable,
  checkpointOffsets,
  checkpointTimes,
  judge,
  type Level,
  type MetricRule,
  parseThreshold,
  type RawSample,
} from '../../src/deploy/monitoring.js';

const m = 60_000;
const h = 60 * m;

describe('checkpoint schedules', () => {
  it('the runbook plan: hour 1 every 5 min, then every 2 h until 4 h, then every 6 h until 24 h', () => {
    const offsets = checkpointOffsets([
      { everyMs: 5 * m, forMs: h },
      { everyMs: 2 * h, untilMs: 4 * h },
      { everyMs: 6 * h, untilMs: 24 * h },
    ]);
    expect(offsets.slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, i) => (i + 1) * 5 * m));
    expect(offsets.slice(12).map((o) => o / h)).toEqual([3, 10, 16, 22]);
  });
  it('times are computed from the step start', () => {
    expect(checkpointTimes('2026-11-21T10:00:00.000Z', [{ everyMs: m, forMs: 3 * m }])).toEqual([
      '2026-11-21T10:01:00.000Z',
      '2026-11-21T10:02:00.000Z',
      '2026-11-21T10:03:00.000Z',
    ]);
  });
});

const rule = (patch: Partial<MetricRule> = {}): MetricRule => ({
  key: 'error_rate',
  warn: parseThreshold('> 0.1%'),
  critical: parseThreshold('> 1%'),
  consecutive: 1,
  rollback: false,
  dryRun: false,
  ...patch,
});

describe('thresholds', () => {
  it.each([
    ['below both lines', 0.05, 'ok'],
    ['at the warn line (not over)', 0.1, 'ok'],
    ['over warn', 0.5, 'warn'],
    ['at the critical line', 1, 'warn'],
    ['over critical', 1.5, 'critical'],
  ] as const)('%s', (_n, value, level) => {
    expect(judge(rule(), value, undefined, []).level).toBe(level);
  });

  it('relative to the baseline: "> baseline + 20%"', () => {
    const r = rule({ key: 'mean_query_ms', warn: undefined, critical: parseThreshold('> baseline + 20%') });
    expect(judge(r, 11.9, 10, []).level).toBe('ok');
    expect(judge(r, 12.5, 10, [])).toMatchObject({ level: 'critical', line: '> 12 (> baseline + 20%)' });
    expect(judge(r, 50, undefined, []).level).toBe('ok'); // no baseline, no relative line
    expect(parseThreshold('> baseline + 5')).toMatchObject({ relative: 'absolute', value: 5 });
    expect(parseThreshold('soon')).toBeUndefined();
  });

  it('consecutive: N breaches in a row, reset by a good sample', () => {
    const r = rule({ consecutive: 3 });
    const history: Level[] = [];
    const levels: string[] = [];
    for (const v of [2, 2, 0, 2, 2, 2]) {
      const j = judge(r, v, undefined, history);
      levels.push(`${j.level}/${j.streak}`);
      history.push(j.raw);
    }
    expect(levels).toEqual(['ok/1', 'ok/2', 'ok/0', 'ok/1', 'ok/2', 'critical/3']);
  });

  it('an unavailable metric is reported, never judged', () => {
    expect(judge(rule(), undefined, undefined, [], "track_functions is 'none'")).toMatchObject({
      level: 'ok',
      unavailable: "track_functions is 'none'",
    });
  });

  it('dry-run metrics are reported but never alert or roll back', () => {
    const rules = [
      rule({ rollback: true, dryRun: true }),
      rule({ key: 'deadlocks', critical: parseThreshold('> 0'), warn: undefined, rollback: true }),
    ];
    const judged = [judge(rules[0]!, 5, undefined, []), judge(rules[1]!, 0, undefined, [])];
    expect(actionable(judged, rules)).toEqual({ critical: [], warn: [], trigger: undefined });
    const hot = [judged[0]!, judge(rules[1]!, 1, undefined, [])];
    expect(actionable(hot, rules).trigger?.key).toBe('deadlocks');
  });
});

describe('metric values from two samples', () => {
  const sample = (c: Record<string, number>, g: Record<string, number> = {}): RawSample => ({
    at: '',
    counters: c,
    gauges: g,
    unavailable: {},
  });
  it('deltas, rates and gauges', () => {
    const a = sample({
      'db.commit': 100,
      'db.rollback': 0,
      'db.deadlocks': 1,
      'fn.f.calls': 10,
      'fn.f.time': 100,
    });
    const b = sample(
      { 'db.commit': 190, 'db.rollback': 10, 'db.deadlocks': 3, 'fn.f.calls': 15, 'fn.f.time': 200 },
      { lock_waits: 2 },
    );
    expect(metricValue({ kind: 'builtin', metric: 'deadlocks' }, a, b).value).toBe(2);
    expect(metricValue({ kind: 'builtin', metric: 'error_rate' }, a, b).value).toBe(10);
    expect(metricValue({ kind: 'builtin', metric: 'function_mean_ms', function: 'f' }, a, b).value).toBe(20);
    expect(metricValue({ kind: 'builtin', metric: 'lock_waits' }, a, b).value).toBe(2);
    // with no earlier sample: cumulative, which is what a baseline is
    expect(
      metricValue({ kind: 'builtin', metric: 'function_mean_ms', function: 'f' }, undefined, b).value,
    ).toBeCloseTo(13.33, 1);
    expect(metricValue({ kind: 'builtin', metric: 'function_mean_ms', function: 'f' }, b, b)).toEqual({
      quiet: 'no calls to f in the interval',
    });
  });
});
