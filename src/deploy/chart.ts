/**
 * A monitor step's chart, as data: each metric's readings over the watch period, its warn and critical lines
 * (a relative line where the baseline puts it) and the alerts it was part of. Pure: the shell gathers the rows
 * and draws the picture (chart-spec.ts, chart/png.ts). Only metric names, values, lines and times go in: never
 * a host, user or database name.
 */
import { type Judged, type Level, lineOf, type MetricRule } from './monitoring.js';

export interface ChartPoint {
  readonly at: string;
  readonly value: number;
  /** The level this reading alone reached (its colour). */
  readonly level: Level;
  /** Taken on command (shown, never counted). */
  readonly onDemand: boolean;
}

export interface ChartLine {
  readonly level: 'warn' | 'critical';
  /** Where the line is drawn. */
  readonly value: number;
  /** As configured ("> 1%", "> baseline + 20%"). */
  readonly text: string;
}

export interface ChartAlert {
  readonly id: number;
  readonly at: string;
  readonly level: 'warn' | 'critical';
}

export interface ChartSeries {
  readonly key: string;
  /** Shown after values (" ms", "%", ""). */
  readonly unit: string;
  readonly points: readonly ChartPoint[];
  readonly lines: readonly ChartLine[];
  /** A line relative to a baseline that was never measured: said, not drawn. */
  readonly undrawn: readonly string[];
  readonly alerts: readonly ChartAlert[];
  /** Readings taken that gave no number (down, not measured, nothing to measure). */
  readonly withoutValue: number;
  /** Why there is no reading to draw at all (set only then): the panel is this sentence, not an empty frame. */
  readonly noReadings?: string;
  /** Low values are the bad ones (its lines are "<" lines): the panel says its lowest, not its highest. */
  readonly lowIsBad: boolean;
  readonly dryRun: boolean;
}

export interface ChartData {
  readonly title: string;
  readonly subtitle: string;
  /** The watch period: the monitor step's start, and its end (or the end of its plan while it watches). */
  readonly from: string;
  readonly to: string;
  /** Times need seconds: the watch is short, or its checkpoints are less than a minute apart. */
  readonly seconds: boolean;
  readonly series: readonly ChartSeries[];
}

/** A checkpoint row as the chart reads it. */
export interface ChartCheckpoint {
  readonly seq: number;
  readonly status: string;
  readonly dueAt: string;
  readonly takenAt?: string;
  readonly judged?: readonly Judged[];
}

export interface ChartInput {
  readonly runId: number;
  readonly env: string;
  readonly plan?: string;
  /** Still watching (the chart shows the period so far), or the watch ended. */
  readonly watching: boolean;
  readonly startedAt: string;
  /** When watching ended (absent while it watches). */
  readonly endedAt?: string;
  readonly metrics: readonly {
    readonly rule: MetricRule;
    readonly unit: string;
    readonly baseline?: number;
  }[];
  readonly checkpoints: readonly ChartCheckpoint[];
  /** The run's alerts with the readings that raised them (this step's are those of its checkpoints). */
  readonly alerts: readonly {
    readonly id: number;
    readonly at: string;
    readonly level: string;
    readonly judged: readonly Judged[];
  }[];
  /** Checkpoints numbered from here were taken on command. */
  readonly extraFrom: number;
}

/** Readings compared as stored (jsonb does not keep key order). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Why a metric has no reading to draw: no checkpoint yet, readings without a value (the latest's reason), or none. */
function noReadingsWhy(taken: number, without: readonly Judged[]): string {
  if (!taken) return 'no checkpoint taken yet';
  const reason = without.at(-1)?.unavailable ?? without.at(-1)?.quiet;
  const said = reason && reason.length > 80 ? `${reason.slice(0, 79)}…` : reason;
  if (without.length)
    return `${plural(without.length, 'checkpoint')} gave no value${said ? `: ${said}` : ''}`;
  return `not measured at any of the ${plural(taken, 'checkpoint')} taken`;
}

/** Whether the closest two checkpoints (taken, or due when not taken) are less than a minute apart. */
function closeTogether(checkpoints: readonly ChartCheckpoint[]): boolean {
  const times = [
    ...new Set(checkpoints.map((c) => Date.parse(c.status === 'done' && c.takenAt ? c.takenAt : c.dueAt))),
  ].sort((a, b) => a - b);
  return times.some((t, i) => i > 0 && t - times[i - 1]! < 60_000);
}

/** Whether the step has a reading worth drawing yet. */
export const hasReadings = (input: ChartInput) => input.checkpoints.some((c) => c.status === 'done');

export function chartData(input: ChartInput): ChartData {
  const taken = input.checkpoints
    .filter((c) => c.status === 'done' && c.takenAt)
    .sort((a, b) => Date.parse(a.takenAt!) - Date.parse(b.takenAt!));
  const planned = input.checkpoints.filter((c) => c.seq < input.extraFrom);
  const lastDue = planned
    .map((c) => c.dueAt)
    .sort()
    .at(-1);
  // An alert belongs to the checkpoint whose readings it carries, and is drawn where that checkpoint was taken.
  const takenAt = new Map(taken.map((c) => [canonical(c.judged), c.takenAt!]));
  const mine = input.alerts.flatMap((a): (ChartAlert & { judged: readonly Judged[] })[] => {
    const at = takenAt.get(canonical(a.judged));
    const level = a.level === 'warn' || a.level === 'critical' ? a.level : undefined;
    return at && level ? [{ id: a.id, at, level, judged: a.judged }] : [];
  });
  const to =
    input.endedAt ??
    [lastDue, taken.at(-1)?.takenAt]
      .filter((t) => t !== undefined)
      .sort()
      .at(-1);
  const series = input.metrics.map(({ rule, unit, baseline }): ChartSeries => {
    const readings = taken.map((c) => ({ c, j: c.judged?.find((j) => j.key === rule.key) }));
    const points = readings.flatMap(({ c, j }) =>
      j?.value === undefined || !Number.isFinite(j.value)
        ? []
        : [{ at: c.takenAt!, value: j.value, level: j.raw, onDemand: c.seq >= input.extraFrom }],
    );
    const lines: ChartLine[] = [];
    const undrawn: string[] = [];
    for (const level of ['warn', 'critical'] as const) {
      const t = rule[level];
      if (!t) continue;
      const value = lineOf(t, baseline);
      if (value === undefined) undrawn.push(`${level} ${t.text} (no baseline)`);
      else lines.push({ level, value, text: t.text });
    }
    const alerts = mine.flatMap((a) =>
      !rule.dryRun && a.judged.some((j) => j.key === rule.key && j.level !== 'ok')
        ? [{ id: a.id, at: a.at, level: a.level }]
        : [],
    );
    const without = readings.flatMap(({ j }) => (j && j.value === undefined ? [j] : []));
    return {
      key: rule.key,
      unit,
      points,
      lines,
      undrawn,
      alerts,
      withoutValue: without.length,
      ...(points.length ? {} : { noReadings: noReadingsWhy(taken.length, without) }),
      lowIsBad: (rule.critical ?? rule.warn)?.op.startsWith('<') ?? false,
      dryRun: rule.dryRun,
    };
  });
  const plannedDone = planned.filter((c) => c.status === 'done').length;
  const missed = planned.filter((c) => c.status === 'missed').length;
  const alerts = mine.length;
  const subtitle = [
    `${plannedDone}/${planned.length} checkpoints${missed ? `, ${missed} missed` : ''}`,
    input.plan && `plan ${input.plan}`,
    alerts ? plural(alerts, 'alert') : 'no alerts',
    'times in UTC',
  ]
    .filter(Boolean)
    .join(' · ');
  const end = to && to > input.startedAt ? to : new Date(Date.parse(input.startedAt) + 60_000).toISOString();
  return {
    title: `Run #${input.runId} · monitoring ${input.env}${input.watching ? ' so far' : ''}`,
    subtitle,
    from: input.startedAt,
    to: end,
    seconds: Date.parse(end) - Date.parse(input.startedAt) <= 15 * 60_000 || closeTogether(input.checkpoints),
    series,
  };
}
