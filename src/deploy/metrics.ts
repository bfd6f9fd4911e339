/** What each metric means, its unit, and how its value comes from two raw samples. Pure. */
import type { Check } from './check-schema.js';
import type { HttpRequest } from './http-check.js';
import { delta, type RawSample } from './monitoring.js';

export const BUILTIN_METRICS = [
  'deadlocks',
  'rollbacks',
  'error_rate',
  'function_calls',
  'function_mean_ms',
  'mean_query_ms',
  'query_calls',
  'p95_query_ms',
  'lock_waits',
  'longest_lock_wait_ms',
  'long_transactions',
  'active_connections',
  'idle_in_transaction',
  'replication_lag_ms',
  'cache_hit_ratio',
  'database_size_mb',
  'seq_scans',
  'connect_ms',
] as const;

export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

export type MetricSource =
  | { readonly kind: 'builtin'; readonly metric: BuiltinMetric; readonly function?: string }
  | { readonly kind: 'custom'; readonly name: string; readonly sql: string }
  | OutsideSource
  | { readonly kind: 'check'; readonly name: string; readonly check: Check };

/** Metrics read from outside PostgreSQL: the application's answer, or a Prometheus query (one number). */
export type OutsideSource =
  | {
      readonly kind: 'http';
      readonly name: string;
      readonly request: HttpRequest;
      readonly timeoutMs: number;
      readonly unit: string;
    }
  | {
      readonly kind: 'prometheus';
      readonly name: string;
      /** The name in the environment's urls of the Prometheus server. */
      readonly server: string;
      readonly query: string;
      readonly timeoutMs: number;
      readonly unit: string;
    };

export const UNITS: Record<BuiltinMetric, string> = {
  deadlocks: '',
  rollbacks: '',
  error_rate: '%',
  function_calls: ' calls',
  function_mean_ms: ' ms',
  mean_query_ms: ' ms',
  query_calls: ' calls',
  p95_query_ms: ' ms',
  lock_waits: '',
  longest_lock_wait_ms: ' ms',
  long_transactions: '',
  active_connections: '',
  idle_in_transaction: '',
  replication_lag_ms: ' ms',
  cache_hit_ratio: '%',
  database_size_mb: ' MB',
  seq_scans: '',
  connect_ms: ' ms',
};

/** Metrics computed from counters over an interval (the bot's own footprint is subtracted from those). */
export const COUNTED: ReadonlySet<BuiltinMetric> = new Set<BuiltinMetric>([
  'deadlocks',
  'rollbacks',
  'error_rate',
  'function_calls',
  'function_mean_ms',
  'mean_query_ms',
  'query_calls',
  'cache_hit_ratio',
  'seq_scans',
]);

export function metricKey(s: MetricSource): string {
  if (s.kind !== 'builtin') return s.name;
  return s.function ? `${s.metric}(${s.function})` : s.metric;
}

export const unitOf = (s: MetricSource) =>
  s.kind === 'builtin' ? UNITS[s.metric] : s.kind === 'http' || s.kind === 'prometheus' ? s.unit : '';

/** Read by the PostgreSQL sample (pg_stat_*, custom SQL), rather than by a request or a check. */
export const fromPostgres = (s: MetricSource) => s.kind === 'builtin' || s.kind === 'custom';

const ratio = (num: number | undefined, den: number | undefined, scale = 1) =>
  num === undefined || den === undefined ? undefined : den === 0 ? undefined : (num / den) * scale;

/** A metric's reading at one checkpoint, before it is judged. */
export interface MetricReading {
  readonly value?: number;
  readonly unavailable?: string;
  readonly quiet?: string;
  /** Its source could not be reached (the database, the service, Prometheus): counts toward `down:`. */
  readonly down?: boolean;
  /** What to show instead of the number (a watched check: "passes", "fails: …"). */
  readonly note?: string;
}

/**
 * A metric's value over the interval between `prev` and `cur` (counters), or at `cur` (gauges).
 * With `prev` undefined, counters count from zero: the cumulative value since the server's stats were reset,
 * which is what a baseline is.
 */
export function metricValue(s: MetricSource, prev: RawSample | undefined, cur: RawSample): MetricReading {
  const key = metricKey(s);
  if (cur.unavailable[key])
    return { unavailable: cur.unavailable[key], ...(cur.down?.includes(key) ? { down: true } : {}) };
  const zero: RawSample = {
    at: '',
    counters: Object.fromEntries(Object.keys(cur.counters).map((k) => [k, 0])),
    gauges: {},
    unavailable: {},
  };
  const p = prev ?? zero;
  const d = (k: string) => delta(p, cur, k);
  if (s.kind === 'custom') return { value: cur.gauges[key] };
  if (s.kind !== 'builtin') {
    const note = cur.notes?.[key];
    const value = cur.gauges[key];
    // A note without a value says why there is nothing to judge this time (a query over no traffic: NaN).
    if (value === undefined) return { quiet: note ?? 'no value' };
    return note ? { value, note } : { value };
  }
  const fn = s.function ?? '';
  switch (s.metric) {
    case 'deadlocks':
      return { value: d('db.deadlocks') };
    case 'rollbacks':
      return { value: d('db.rollback') };
    case 'error_rate': {
      const r = d('db.rollback');
      const c = d('db.commit');
      return {
        value: r === undefined || c === undefined ? undefined : r + c === 0 ? 0 : (100 * r) / (r + c),
      };
    }
    case 'function_calls':
      return { value: d(`fn.${fn}.calls`) };
    case 'function_mean_ms': {
      const v = ratio(d(`fn.${fn}.time`), d(`fn.${fn}.calls`));
      return v === undefined ? { quiet: `no calls to ${fn} in the interval` } : { value: v };
    }
    case 'mean_query_ms': {
      const v = ratio(d('pgss.time'), d('pgss.calls'));
      return v === undefined ? { quiet: 'no statements in the interval' } : { value: v };
    }
    case 'query_calls':
      return { value: d('pgss.calls') };
    case 'cache_hit_ratio': {
      const hit = d('db.blks_hit');
      const read = d('db.blks_read');
      return {
        value:
          hit === undefined || read === undefined
            ? undefined
            : hit + read === 0
              ? 100
              : (100 * hit) / (hit + read),
      };
    }
    case 'seq_scans':
      return { value: d('tables.seq_scan') };
    default:
      return { value: cur.gauges[s.metric] };
  }
}

/** Which raw readings a set of metrics needs (so sampling reads only those). */
export function needs(sources: readonly MetricSource[]): {
  functions: string[];
  pgss: boolean;
  custom: { key: string; sql: string }[];
} {
  return {
    functions: [...new Set(sources.flatMap((s) => (s.kind === 'builtin' && s.function ? [s.function] : [])))],
    pgss: sources.some(
      (s) => s.kind === 'builtin' && ['mean_query_ms', 'query_calls', 'p95_query_ms'].includes(s.metric),
    ),
    custom: sources.flatMap((s) => (s.kind === 'custom' ? [{ key: s.name, sql: s.sql }] : [])),
  };
}
