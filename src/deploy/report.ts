/**
 * What a run report is made of, and the monitoring figures it shows: per monitor step and metric the last and
 * the worst reading, its lines, how many readings were over them and the alerts raised. Pure.
 */
import type { Approval } from './approvals.js';
import type { Judged, Level } from './monitoring.js';
import { type ResultOf, type ResultStep, type StepResults, stepResult } from './step-results.js';
import type { Run } from './types.js';

/** A monitored metric as configured: its lines exactly as written, with the unit of its values. */
export interface ReportMetric {
  readonly key: string;
  readonly unit: string;
  readonly warn?: string;
  readonly critical?: string;
  readonly consecutive: number;
  readonly rollback: boolean;
  readonly dryRun: boolean;
  /** With services: the one service whose monitor reads it (deploy.yml metrics[].service). */
  readonly service?: string;
}

export interface CheckpointRow {
  readonly index: number;
  readonly seq: number;
  /** pending, done, missed, cancelled */
  readonly status: string;
  readonly dueAt: string;
  readonly takenAt?: string;
  readonly judged?: readonly Judged[];
}

export interface AlertRow {
  readonly id: number;
  readonly level: string;
  readonly at: string;
  /** The readings of the checkpoint that raised it. */
  readonly judged: readonly Judged[];
  readonly acknowledgedBy?: string;
  readonly acknowledgedAt?: string;
}

/** Everything a report shows, gathered once when the run ends. */
export interface ReportData {
  readonly run: Run;
  readonly approvals: readonly (Approval & { index: number })[];
  /** Each step's stored result (preflight, apply, verify, rollback), by step index. */
  readonly results: StepResults;
  readonly checkpoints: readonly CheckpointRow[];
  readonly alerts: readonly AlertRow[];
  readonly metrics: readonly ReportMetric[];
  /** Each environment's monitoring plan name. */
  readonly plans: Readonly<Record<string, string>>;
}

export interface MetricFigures {
  readonly metric: ReportMetric;
  /** Checkpoints that gave this metric a value. */
  readonly readings: number;
  readonly last?: Judged;
  /** The reading at the highest level; within a level, the furthest in the direction of the metric's lines. */
  readonly worst?: Judged;
  /** Readings over the warn line only, and over the critical line. */
  readonly over: { readonly warn: number; readonly critical: number };
  readonly unavailable: number;
  /** The lines as the readings were judged against them (a relative line shows where it fell). */
  readonly lines: { readonly warn?: string; readonly critical?: string };
  readonly alerts: { readonly warn: number; readonly critical: number };
}

export interface MonitorFigures {
  readonly planned: number;
  readonly done: number;
  readonly missed: number;
  /** Checkpoints taken on command, outside the plan. */
  readonly extra: number;
  readonly metrics: readonly MetricFigures[];
  /** The alerts this step's checkpoints raised. */
  readonly alerts: readonly AlertRow[];
}

/** Checkpoints taken on command are numbered from here (see store/checkpoints.ts). */
const EXTRA = 100_000;
const rank: Record<Level, number> = { ok: 0, warn: 1, critical: 2 };

/** JSON with sorted keys: the same readings compare equal whatever order jsonb gave their keys. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A metric whose lines point down ("< 90%") is worst at its lowest; every other at its highest. */
const downward = (m: ReportMetric) => /^\s*</.test(m.critical ?? m.warn ?? '');

function figuresOf(
  metric: ReportMetric,
  done: readonly CheckpointRow[],
  alerts: readonly AlertRow[],
): MetricFigures {
  const all = done.flatMap((r) => r.judged?.filter((j) => j.key === metric.key) ?? []);
  const valued = all.filter((j) => j.value !== undefined && !j.unavailable);
  const further = (a: Judged, b: Judged) => (downward(metric) ? a.value! < b.value! : a.value! > b.value!);
  const worst = valued.reduce<Judged | undefined>(
    (w, j) => (!w || rank[j.raw] > rank[w.raw] || (rank[j.raw] === rank[w.raw] && further(j, w)) ? j : w),
    undefined,
  );
  const judgedLine = (level: 'warn' | 'critical') => all.find((j) => j.lineLevel === level)?.line;
  const raised = (level: string) =>
    alerts.filter(
      (a) =>
        a.level === level &&
        a.judged.some((j) => j.key === metric.key && j.level === level && !metric.dryRun),
    ).length;
  return {
    metric,
    readings: valued.length,
    last: all.at(-1),
    worst,
    over: {
      warn: valued.filter((j) => j.raw === 'warn').length,
      critical: valued.filter((j) => j.raw === 'critical').length,
    },
    unavailable: all.filter((j) => j.unavailable).length,
    lines: {
      ...(metric.warn ? { warn: judgedLine('warn') ?? metric.warn } : {}),
      ...(metric.critical ? { critical: judgedLine('critical') ?? metric.critical } : {}),
    },
    alerts: { warn: raised('warn'), critical: raised('critical') },
  };
}

/** The figures of one monitor step from its checkpoint rows and the run's alerts. */
export function monitorFigures(
  rows: readonly CheckpointRow[],
  alerts: readonly AlertRow[],
  metrics: readonly ReportMetric[],
): MonitorFigures {
  const done = rows
    .filter((r) => r.status === 'done' && r.judged)
    .sort((a, b) => (a.takenAt ?? '').localeCompare(b.takenAt ?? '') || a.seq - b.seq);
  // An alert belongs to the checkpoint whose readings it carries.
  const taken = new Set(done.map((r) => canonical(r.judged)));
  const mine = alerts.filter((a) => taken.has(canonical(a.judged)));
  const known = new Set(metrics.map((m) => m.key));
  // A metric read then but no longer configured is still reported.
  const gone = [...new Set(done.flatMap((r) => r.judged!.map((j) => j.key)))]
    .filter((k) => !known.has(k))
    .map((key): ReportMetric => ({ key, unit: '', consecutive: 1, rollback: false, dryRun: false }));
  const planned = rows.filter((r) => r.seq < EXTRA);
  return {
    planned: planned.length,
    done: planned.filter((r) => r.status === 'done').length,
    missed: planned.filter((r) => r.status === 'missed').length,
    extra: rows.filter((r) => r.seq >= EXTRA && r.status === 'done').length,
    metrics: [...metrics, ...gone].map((m) => figuresOf(m, done, mine)),
    alerts: mine,
  };
}

/** The monitoring figures of every monitor step, by step index. */
export function monitorsOf(d: ReportData): Map<number, MonitorFigures> {
  const out = new Map<number, MonitorFigures>();
  // (A monitor stopped for another service's rollback is skipped but watched: its readings are reported.)
  for (const [i, s] of d.run.steps.entries())
    if (s.name === 'monitor' && s.status !== 'pending' && (s.status !== 'skipped' || s.startedAt))
      out.set(
        i,
        monitorFigures(
          d.checkpoints.filter((c) => c.index === i),
          d.alerts,
          // With services, the metrics that service's monitor reads (not another service's, never read there).
          d.metrics.filter((m) => !m.service || m.service === s.service),
        ),
      );
  return out;
}

/** A decision as people say it. */
export const DECIDED = {
  approve: 'approved',
  conditions: 'approved with conditions',
  reject: 'rejected',
} as const;

/** The result stored by step `index` of the run, when it is a `name` step. */
export const resultAt = <K extends ResultStep>(
  d: ReportData,
  index: number,
  name: K,
): ResultOf[K] | undefined => stepResult(d.results, index, name);

/** The environments of a run, in promotion order. */
export const envsOf = (run: Run): string[] => [...new Set(run.steps.map((s) => s.env))];
