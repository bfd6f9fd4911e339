/**
 * The chart of a monitor step: decide() asks for it whenever the step stops watching (its last checkpoint, a
 * rollback, the run cancelled) and on `watch`, never at a checkpoint with more to come; and what it is drawn from.
 */
import { describe, expect, it } from 'vitest';
import { type ChartInput, chartData } from '../../src/deploy/chart.js';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { type Judged, type MetricRule, parseThreshold } from '../../src/deploy/monitoring.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:05:00.000Z';
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const rules: MetricRule[] = [{ key: 'error_rate', consecutive: 1, rollback: true, dryRun: false }];
const watching = (envs: string[] = ['staging']): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps(envs.map((name) => ({ name, gated: false, monitored: true })))
    .map((s, i, all) => ({ s, i, first: all.findIndex((x) => x.name === 'monitor') }))
    .map(({ s, i, first }) =>
      i < first
        ? { ...s, status: 'succeeded' as const }
        : i === first
          ? { ...s, status: 'watching' as const, startedAt: T0 }
          : s,
    ),
  checksums: { '024_x': 'abc' },
  version: 3,
  createdAt: T0,
});
const M = 3; // preflight, apply, verify, monitor
const reading = (level: Judged['level']): Judged => ({
  key: 'error_rate',
  value: 2,
  raw: level,
  level,
  streak: 1,
});
const checkpoint = (pending: number, level: Judged['level'] = 'ok'): RunEvent => ({
  type: 'checkpointJudged',
  index: M,
  at: T1,
  judged: [reading(level)],
  pending,
  onDemand: false,
  progress: 'monitor 5/5 checkpoints',
  rollback: { undo: ['024_x'], keep: [], missingDown: [] },
});
const types = (d: Decision) => ok(d).effects.map((e) => (e.type === 'chart' ? `chart:${e.index}` : e.type));

describe('decide: the chart of a monitor step', () => {
  const ctx = testContext({ metrics: rules });

  it('is drawn when the last checkpoint ends the watch: before the report', () => {
    expect(types(decide(watching(), checkpoint(0), ctx))).toEqual(['renderCard', 'chart:3', 'report']);
  });

  it('is drawn before the next environment starts, after the alert', () => {
    const d = decide(watching(['staging', 'production']), checkpoint(0, 'warn'), ctx);
    expect(types(d)).toEqual(['alert', 'renderCard', 'chart:3', 'runStep']);
  });

  it('is not drawn at a checkpoint with more to come', () => {
    expect(types(decide(watching(), checkpoint(2, 'warn'), ctx))).toEqual(['alert', 'renderCard']);
  });

  it('is drawn when a critical reading rolls back (the watch ends there), after the alert', () => {
    const auto = testContext({ metrics: rules, autoRollback: () => true });
    const d = decide(watching(), checkpoint(2, 'critical'), auto);
    expect(types(d)).toEqual(['alert', 'renderCard', 'chart:3', 'runStep']);
    expect(ok(d).next.steps[M]!.status).toBe('failed');
  });

  it('is drawn when the run is cancelled while watching', () => {
    const d = decide(watching(), { type: 'cancel', at: T1, by: 'U1' }, ctx);
    expect(types(d)).toEqual(['renderCard', 'chart:3', 'report']);
  });

  it('is drawn on `watch`, beside the figures shown to the asker', () => {
    const d = decide(watching(), { type: 'watch', index: M, at: T1, by: 'U1' }, ctx);
    expect(ok(d).effects).toEqual([
      { type: 'showMonitor', index: M },
      { type: 'chart', index: M },
    ]);
  });
});

describe('chartData: what the chart shows', () => {
  const at = (m: number) => new Date(Date.parse(T0) + m * 60_000).toISOString();
  const j = (value: number, raw: Judged['level']): Judged => ({
    key: 'mean_ms',
    value,
    raw,
    level: raw,
    streak: 1,
  });
  const input: ChartInput = {
    runId: 7,
    env: 'staging',
    plan: 'five',
    watching: false,
    startedAt: T0,
    endedAt: at(5),
    metrics: [
      {
        rule: {
          key: 'mean_ms',
          warn: parseThreshold('> baseline + 50%'),
          critical: parseThreshold('> 10'),
          consecutive: 1,
          rollback: false,
          dryRun: false,
        },
        unit: ' ms',
        baseline: 4,
      },
      {
        rule: {
          key: 'lag_ms',
          warn: parseThreshold('> baseline + 20%'),
          consecutive: 1,
          rollback: false,
          dryRun: false,
        },
        unit: ' ms',
      },
    ],
    checkpoints: [
      { seq: 1, status: 'done', dueAt: at(1), takenAt: at(1), judged: [j(4, 'ok')] },
      { seq: 2, status: 'missed', dueAt: at(2), takenAt: at(3) },
      { seq: 3, status: 'done', dueAt: at(3), takenAt: at(3), judged: [j(7, 'warn')] },
      { seq: 100_000, status: 'done', dueAt: at(3.5), takenAt: at(3.5), judged: [j(12, 'critical')] },
    ],
    // The alert was stored with the readings of checkpoint 3, its keys in another order (jsonb sorts them).
    alerts: [
      {
        id: 9,
        at: '2030-01-01T00:00:00.000Z',
        level: 'warn',
        judged: [{ streak: 1, level: 'warn', raw: 'warn', value: 7, key: 'mean_ms' }],
      },
    ],
    extraFrom: 100_000,
  };

  it('draws each reading, its lines where the baseline puts them, and the alert at its checkpoint', () => {
    const c = chartData(input);
    expect(c).toMatchObject({
      title: 'Run #7 · monitoring staging',
      subtitle: '2/3 checkpoints, 1 missed · plan five · 1 alert · times in UTC',
      from: T0,
      to: at(5),
    });
    expect(c.series[0]).toEqual({
      key: 'mean_ms',
      unit: ' ms',
      points: [
        { at: at(1), value: 4, level: 'ok', onDemand: false },
        { at: at(3), value: 7, level: 'warn', onDemand: false },
        { at: at(3.5), value: 12, level: 'critical', onDemand: true },
      ],
      lines: [
        { level: 'warn', value: 6, text: '> baseline + 50%' },
        { level: 'critical', value: 10, text: '> 10' },
      ],
      undrawn: [],
      alerts: [{ id: 9, at: at(3), level: 'warn' }],
      withoutValue: 0,
      lowIsBad: false,
      dryRun: false,
    });
    // A line relative to a baseline never measured is said, not drawn; readings without the metric count as none.
    expect(c.series[1]).toMatchObject({
      points: [],
      lines: [],
      undrawn: ['warn > baseline + 20% (no baseline)'],
      alerts: [],
    });
  });

  it('while watching, spans the whole plan and says "so far"', () => {
    const c = chartData({ ...input, watching: true, endedAt: undefined });
    expect(c.title).toBe('Run #7 · monitoring staging so far');
    expect(c.to).toBe(at(3.5));
    const planned = { seq: 4, status: 'pending', dueAt: at(20) };
    expect(
      chartData({
        ...input,
        watching: true,
        endedAt: undefined,
        checkpoints: [...input.checkpoints, planned],
      }).to,
    ).toBe(at(20));
  });
});
