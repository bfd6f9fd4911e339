/**
 * Representative ended runs for the report renderers: a 100-file run over two environments, a failed apply, a
 * critical monitoring reading with an alert, a rolled-back run. Readings are judged by the real judge().
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { CheckResult } from '../../src/deploy/checks.js';
import {
  type Judged,
  judge,
  type Level,
  type MetricRule,
  parseThreshold,
} from '../../src/deploy/monitoring.js';
import type { AlertRow, CheckpointRow, ReportData, ReportMetric } from '../../src/deploy/report.js';
import type { ApplyResult, PreflightResult, RollbackResult, VerifyResult } from '../../src/deploy/results.js';
import type { Run, Step } from '../../src/deploy/types.js';

export const T0 = '2026-03-03T10:00:00.000Z';
export const sha = (id: string) => createHash('sha256').update(id).digest('hex');
export const ids = (n: number) =>
  Array.from({ length: n }, (_, i) => `${String(i + 1).padStart(3, '0')}_create_partition_${i + 1}`);
/** id → sha256 with keys in reverse order: what jsonb gives back is not migration order either. */
export const checksums = (list: readonly string[]) =>
  Object.fromEntries([...list].reverse().map((id) => [id, sha(id)]));

const step = (env: string, name: Step['name'], status: Step['status'], extra: Partial<Step> = {}): Step => ({
  env,
  name,
  status,
  startedAt: T0,
  durationMs: 120,
  ...extra,
});

export const deploySteps = (env: string, statuses: Partial<Record<Step['name'], Step['status']>> = {}) =>
  (['preflight', 'apply', 'verify', 'monitor'] as const).map((n) => step(env, n, statuses[n] ?? 'succeeded'));

export function endedRun(patch: Partial<Run> & { steps: Step[]; files: readonly string[] }): Run {
  const { files, ...rest } = patch;
  return {
    id: 42,
    migration: files.at(-1)!,
    requestedBy: 'U0REQUESTER',
    channel: 'C0DEPLOYS',
    status: 'succeeded',
    checksums: checksums(files),
    version: 9,
    createdAt: T0,
    finishedAt: '2026-03-03T10:20:00.000Z',
    ...rest,
  };
}

export const preflight = (env: string, pending: readonly string[]): PreflightResult => ({
  env,
  ok: true,
  connectMs: 4,
  serverVersion: '15.18',
  pending: pending.map((id, i) => ({
    id,
    checksum: sha(id),
    statements: 2,
    ...(i % 10 === 9 ? { outsideTransaction: 'CREATE INDEX CONCURRENTLY' } : {}),
  })),
  alreadyApplied: pending.length === 0,
  drift: [],
  unknown: [],
  outOfOrder: [],
});

export const applied = (
  env: string,
  list: readonly string[],
  extra: Partial<ApplyResult> = {},
): ApplyResult => ({
  env,
  ok: true,
  files: list.map((id, i) => ({
    id,
    statements: 2,
    durationMs: 10 + i,
    lockRetries: i === 2 ? 1 : 0,
    ...(i % 10 === 9 ? { outsideTransaction: 'CREATE INDEX CONCURRENTLY' } : {}),
  })),
  diffSummary: `+${list.length} tables`,
  countsSummary: 'tables 10 → 110',
  ...extra,
});

export const check = (
  name: string,
  status: CheckResult['status'],
  extra: Partial<CheckResult> = {},
): CheckResult => ({
  name,
  kind: 'sql',
  severity: 'blocker',
  source: 'x.checks.yml',
  status,
  target: '= 0',
  actual: status === 'pass' ? '0' : '3',
  durationMs: 7,
  ...extra,
});

export const verified = (env: string, results: CheckResult[]): VerifyResult => ({
  env,
  ok: !results.some((r) => r.status !== 'pass' && r.severity === 'blocker'),
  results,
  summary: {
    passed: results.filter((r) => r.status === 'pass').length,
    total: results.length,
    warnings: results.filter((r) => r.status !== 'pass' && r.severity === 'warning').length,
    blockersFailed: results.filter((r) => r.status !== 'pass' && r.severity === 'blocker').length,
  },
  durationMs: 80,
});

const rule = (
  key: string,
  warn?: string,
  critical?: string,
  extra: Partial<MetricRule> = {},
): MetricRule => ({
  key,
  ...(warn ? { warn: parseThreshold(warn)! } : {}),
  ...(critical ? { critical: parseThreshold(critical)! } : {}),
  consecutive: 1,
  rollback: false,
  dryRun: false,
  ...extra,
});

/** error_rate (rollback trigger), deadlocks, a custom queue_depth, and mean_query_ms against the baseline. */
export const RULES = [
  rule('error_rate', '> 0.1%', '> 1%', { rollback: true, consecutive: 2 }),
  rule('deadlocks', undefined, '> 0'),
  rule('queue_depth', undefined, '> 5'),
  rule('mean_query_ms', undefined, '> baseline + 20%'),
];
export const METRICS: ReportMetric[] = RULES.map((r) => ({
  key: r.key,
  unit: r.key === 'error_rate' ? '%' : r.key.endsWith('_ms') ? ' ms' : '',
  ...(r.warn ? { warn: r.warn.text } : {}),
  ...(r.critical ? { critical: r.critical.text } : {}),
  consecutive: r.consecutive,
  rollback: r.rollback,
  dryRun: r.dryRun,
}));

/** Checkpoint rows of one monitor step: one reading per metric per checkpoint, judged in order. */
export function checkpoints(index: number, readings: Record<string, (number | undefined)[]>, planned = 0) {
  const n = Object.values(readings)[0]!.length;
  const history = new Map<string, Level[]>();
  const rows: CheckpointRow[] = [];
  for (let c = 0; c < n; c++) {
    const judged: Judged[] = RULES.map((r) => {
      const j = judge(r, readings[r.key]?.[c], 10, history.get(r.key) ?? []);
      history.set(r.key, [...(history.get(r.key) ?? []), j.raw]);
      return j;
    });
    const takenAt = new Date(Date.parse(T0) + (c + 1) * 60_000).toISOString();
    rows.push({ index, seq: c + 1, status: 'done', dueAt: takenAt, takenAt, judged });
  }
  for (let c = n; c < planned; c++)
    rows.push({
      index,
      seq: c + 1,
      status: 'missed',
      dueAt: new Date(Date.parse(T0) + (c + 1) * 60_000).toISOString(),
    });
  return rows;
}

export const alertOf = (
  id: number,
  row: CheckpointRow,
  level: 'warn' | 'critical',
  ack?: string,
): AlertRow => ({
  id,
  level,
  at: row.takenAt!,
  judged: row.judged!,
  ...(ack ? { acknowledgedBy: ack, acknowledgedAt: row.takenAt! } : {}),
});

export const rolledBack = (env: string, list: readonly string[]): RollbackResult => ({
  env,
  ok: true,
  files: [...list].reverse().map((id) => ({ id, statements: 1, durationMs: 5, lockRetries: 0 })),
  catalogRestored: true,
});

export function data(run: Run, patch: Partial<ReportData> = {}): ReportData {
  return {
    run,
    approvals: [],
    results: new Map(),
    checkpoints: [],
    alerts: [],
    metrics: METRICS,
    plans: { staging: 'short', production: 'day' },
    ...patch,
  };
}

/** The rows of the first table after the heading that starts with `heading`, as cells. */
export function tableAfter(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  expect(start, `no heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const first = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first + 2; lines[i]?.startsWith('|'); i++) rows.push(lines[i]!.slice(2, -2).split(' | '));
  return rows;
}
export const textOf = (m: { text: string; blocks: unknown[] }) =>
  [m.text, ...(m.blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? '')].join('\n');
export const count = (text: string, part: string) => text.split(part).length - 1;

export const CHECKS = [
  check('RPC deployed', 'pass', {
    kind: 'function',
    target: 'exists with 5 args',
    actual: 'exists with 5 args',
  }),
  check('EXECUTE granted', 'pass', { kind: 'grant' }),
  check('no orphans', 'pass'),
  check('workspace isolation', 'pass'),
  check('5 concurrent calls counted', 'pass', { target: '= 5', actual: '5' }),
  check('FK count', 'fail', { severity: 'warning', target: '>= 45', actual: '7' }),
];
