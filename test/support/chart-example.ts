/**
 * A monitor step's readings as the chart tests (and docs/monitoring-chart.png) draw them: two hours of production
 * watched every five minutes, an error spike that warned and then went critical, a deadlock, a line relative to
 * the baseline, and a metric never measured. `npx tsx test/support/chart-example.ts docs/monitoring-chart.png`
 * writes the picture the README shows.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chartPng } from '../../src/chart/png.js';
import { type ChartInput, chartData } from '../../src/deploy/chart.js';
import { type Judged, type Level, type MetricRule, parseThreshold } from '../../src/deploy/monitoring.js';

const T0 = Date.parse('2026-03-02T14:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

const rule = (key: string, warn?: string, critical?: string): MetricRule => ({
  key,
  ...(warn ? { warn: parseThreshold(warn) } : {}),
  ...(critical ? { critical: parseThreshold(critical) } : {}),
  consecutive: 1,
  rollback: false,
  dryRun: false,
});

const VALUES: Record<string, number[]> = {
  error_rate: [0.1, 0.2, 0.15, 0.3, 0.9, 1.4, 1.8, 0.6, 0.4, 0.3, 0.2, 0.2],
  mean_query_ms: [4, 4.2, 4.1, 5, 7, 9, 12, 8, 6, 5, 4.5, 4.4],
  deadlocks: [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
};
const LINES: Record<string, [warn: number, critical: number]> = {
  error_rate: [0.5, 1],
  mean_query_ms: [6, 10],
  deadlocks: [Number.POSITIVE_INFINITY, 0],
};
const levelOf = (key: string, v: number): Level =>
  v > LINES[key]![1] ? 'critical' : v > LINES[key]![0] ? 'warn' : 'ok';
const judged = (i: number): Judged[] =>
  Object.entries(VALUES).map(([key, values]) => {
    const level = levelOf(key, values[i]!);
    return { key, value: values[i]!, raw: level, level, streak: level === 'ok' ? 0 : 1 };
  });

/** Twelve of 24 checkpoints taken; alerts #3 (warn) and #4 (critical) raised at the 5th and 6th. */
export const exampleInput: ChartInput = {
  runId: 7,
  env: 'production',
  plan: 'two-hours',
  watching: true,
  startedAt: at(0),
  metrics: [
    { rule: rule('error_rate', '> 0.5%', '> 1%'), unit: '%' },
    { rule: rule('mean_query_ms', '> baseline + 50%', '> 10'), unit: ' ms', baseline: 4 },
    { rule: rule('deadlocks', undefined, '> 0'), unit: '' },
    { rule: rule('replication_lag_ms', '> baseline + 20%'), unit: ' ms' },
  ],
  checkpoints: Array.from({ length: 24 }, (_, i) =>
    i < 12
      ? { seq: i + 1, status: 'done', dueAt: at(5 * (i + 1)), takenAt: at(5 * (i + 1)), judged: judged(i) }
      : { seq: i + 1, status: 'pending', dueAt: at(5 * (i + 1)) },
  ),
  alerts: [
    { id: 3, at: at(25), level: 'warn', judged: judged(4) },
    { id: 4, at: at(30), level: 'critical', judged: judged(5) },
  ],
  extraFrom: 100_000,
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2] ?? 'docs/monitoring-chart.png';
  writeFileSync(out, await chartPng(chartData(exampleInput)));
  console.log(`wrote ${out}`);
}
