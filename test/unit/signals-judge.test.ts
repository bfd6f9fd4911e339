/**
 * How readings from outside PostgreSQL are judged and shown: `down: N` in a row is a critical ("service crashes"),
 * a watched check failing is a critical, Prometheus answers become one number or say why not.
 */
import { describe, expect, it } from 'vitest';
import { judgeReading, type Prior, priorOf } from '../../src/deploy/judge-reading.js';
import type { MetricReading } from '../../src/deploy/metrics.js';
import { actionable, type Judged, type MetricRule, parseThreshold } from '../../src/deploy/monitoring.js';
import { queryValue } from '../../src/deploy/prometheus.js';
import type { Run } from '../../src/deploy/types.js';
import { alertMessage, reading } from '../../src/slack/monitor-blocks.js';

const rule = (key: string, more: Partial<MetricRule> = {}): MetricRule => ({
  key,
  consecutive: 1,
  rollback: false,
  dryRun: false,
  ...more,
});
const DOWN = 'community refused the connection: is the service running? Check STAGING_COMMUNITY_URL.';

/** Judge readings one after another, as checkpoints do. */
function run(r: MetricRule, readings: MetricReading[]): Judged[] {
  const out: Judged[] = [];
  for (const x of readings) out.push(judgeReading(r, x, undefined, out.map(priorOf)));
  return out;
}

describe('down: N', () => {
  it('is critical once the source failed N checkpoints in a row; an answer in between starts the count again', () => {
    const up = rule('community_up', { down: 2, rollback: true });
    const levels = run(up, [
      { unavailable: DOWN, down: true },
      { value: 12 },
      { unavailable: DOWN, down: true },
      { unavailable: DOWN, down: true },
      { unavailable: DOWN, down: true },
    ]).map((j) => [j.raw, j.level, j.streak]);
    expect(levels).toEqual([
      ['critical', 'ok', 1],
      ['ok', 'ok', 0],
      ['critical', 'ok', 1],
      ['critical', 'critical', 2],
      ['critical', 'critical', 3],
    ]);
    const judged = run(up, [
      { unavailable: DOWN, down: true },
      { unavailable: DOWN, down: true },
    ]);
    expect(actionable(judged, [up]).trigger?.key).toBe('community_up');
  });

  it('without down:, a source that cannot be reached is only not measured, as before', () => {
    const j = run(rule('queue_depth', { warn: parseThreshold('> 10') }), [{ unavailable: DOWN, down: true }]);
    expect(j[0]).toEqual({ key: 'queue_depth', raw: 'ok', level: 'ok', streak: 0, unavailable: DOWN });
  });

  it('a down checkpoint counts toward a value streak: the service failing is over every line', () => {
    const r = rule('error_rate_5xx', { critical: parseThreshold('> 5'), consecutive: 3, down: 5 });
    const j = run(r, [{ value: 9 }, { unavailable: DOWN, down: true }, { value: 9 }]);
    expect(j.map((x) => x.level)).toEqual(['ok', 'ok', 'critical']);
  });

  it('shown as down with the count, and critical once reached; the alert says "down"', () => {
    const up = rule('community_up', { down: 2, rollback: true });
    const [first, second] = run(up, [
      { unavailable: DOWN, down: true },
      { unavailable: DOWN, down: true },
    ]);
    const shown = (j: Judged) => reading({ ...j, unit: ' ms', dryRun: false });
    expect(shown(first!)).toBe(`🔴 *community_up* down: ${DOWN} (1 of 2 in a row)`);
    expect(shown(second!)).toBe(`🔴 *community_up* down: ${DOWN} (2 in a row: critical)`);
    const run_ = { id: 7, migration: '024_rls', steps: [] } as unknown as Run;
    const alert = alertMessage(run_, 'production', 'critical', [{ ...second!, unit: ' ms', dryRun: false }], {
      alertId: 1,
    });
    expect(alert.text).toBe('Critical on production: community_up down');
  });
});

describe('a watched check', () => {
  const rls = rule('rls_isolation', { critical: { op: '>', value: 0, text: 'fails' }, rollback: true });
  it('is critical when it fails, and shows what it saw instead of a number', () => {
    const [ok, bad] = run(rls, [
      { value: 0, note: 'passes (enabled)' },
      { value: 1, note: 'fails: wanted RLS on campaigns: enabled; found disabled' },
    ]);
    expect([ok!.level, bad!.level]).toEqual(['ok', 'critical']);
    expect(reading({ ...ok!, unit: '', dryRun: false })).toBe('✅ *rls_isolation* passes (enabled)');
    expect(reading({ ...bad!, unit: '', dryRun: false })).toBe(
      '🔴 *rls_isolation* fails: wanted RLS on campaigns: enabled; found disabled',
    );
    expect(actionable([bad!], [rls]).trigger?.key).toBe('rls_isolation');
  });
  it('a stored reading from before `down` existed reads as an ordinary prior', () => {
    const priors: Prior[] = [
      priorOf({ key: 'x', raw: 'warn', level: 'warn', streak: 1 }),
      priorOf(undefined),
    ];
    expect(priors).toEqual([{ raw: 'warn' }, { raw: 'ok' }]);
  });
});

describe("Prometheus's answers (the HTTP API's documented shapes)", () => {
  const vector = (...values: string[]) =>
    JSON.stringify({
      status: 'success',
      data: {
        resultType: 'vector',
        result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1, v] })),
      },
    });
  it.each([
    [vector('5.25'), { value: 5.25 }],
    [JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '2'] } }), { value: 2 }],
    [vector(), { quiet: 'the query returned no series (no data yet; add `or vector(0)` to read none as 0)' }],
    [vector('NaN'), { quiet: 'the query returned NaN (nothing to divide: no requests in its window?)' }],
    [vector('+Inf'), { unavailable: 'the query returned +Inf' }],
    [
      vector('1', '2'),
      { unavailable: 'the query returned 2 series; aggregate it to one number (sum(…), max(…))' },
    ],
    [
      JSON.stringify({
        status: 'error',
        errorType: 'bad_data',
        error: '1:5: parse error: unclosed left parenthesis',
      }),
      { unavailable: 'Prometheus refused the query: bad_data: 1:5: parse error: unclosed left parenthesis' },
    ],
    [
      JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
      {
        unavailable:
          'the query returned a matrix; give an instant query that returns one number (no [5m] at its end)',
      },
    ],
    [
      '<html>',
      { unavailable: 'Prometheus answered something that is not JSON (is the URL a Prometheus server?)' },
    ],
  ])('%s', (body, want) => {
    expect(queryValue(body)).toEqual(want);
  });
});
