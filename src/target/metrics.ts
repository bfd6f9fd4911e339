/** Read pg_stat_* and custom SQL at one instant: the raw sample that monitoring metrics derive from. */
import type pg from 'pg';
import { type MetricSource, metricKey, needs } from '../deploy/metrics.js';
import type { RawSample } from '../deploy/monitoring.js';

const BASE_SQL = `
select
  (select json_build_object('commit', xact_commit, 'rollback', xact_rollback, 'deadlocks', deadlocks,
     'blks_hit', blks_hit, 'blks_read', blks_read) from pg_stat_database where datname = current_database()) as db,
  pg_database_size(current_database()) / 1048576.0 as size_mb,
  (select count(*) from pg_locks where not granted) as lock_waits,
  (select coalesce(max(extract(epoch from now() - coalesce(state_change, query_start)) * 1000), 0)
     from pg_stat_activity where wait_event_type = 'Lock') as longest_lock_wait_ms,
  (select count(*) from pg_stat_activity where xact_start < now() - interval '5 minutes'
     and state <> 'idle' and pid <> pg_backend_pid()) as long_transactions,
  (select count(*) from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and backend_type = 'client backend') as active,
  (select count(*) from pg_stat_activity where state like 'idle in transaction%') as idle_in_tx,
  (select coalesce(max(extract(epoch from replay_lag) * 1000), 0) from pg_stat_replication) as replication_lag_ms,
  (select coalesce(sum(seq_scan), 0) from pg_stat_user_tables where relid = any(
     select to_regclass(t) from unnest($1::text[]) t where to_regclass(t) is not null)) as seq_scan,
  current_setting('track_functions') as track_functions,
  to_regclass('pg_stat_statements') is not null as has_pgss`;

const FUNCTIONS_SQL = `select funcname, sum(calls)::float8 as calls, sum(total_time)::float8 as time
  from pg_stat_user_functions where funcname = any($1::text[]) group by funcname`;

const PGSS_SQL = `select coalesce(sum(calls), 0)::float8 as calls, coalesce(sum(total_exec_time), 0)::float8 as time,
  coalesce(sum(calls * (mean_exec_time + 1.645 * stddev_exec_time)) / nullif(sum(calls), 0), 0)::float8 as p95
  from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())`;

/** One reading of everything `sources` need. Unavailable metrics say which setting to change. */
export async function sampleMetrics(
  client: pg.ClientBase,
  sources: readonly MetricSource[],
  touchedTables: readonly string[],
  at: string,
  timeoutMs = 10_000,
): Promise<RawSample> {
  const need = needs(sources);
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  const unavailable: Record<string, string> = {};
  // Statistics are read in their own statements, outside any transaction, so each reading is fresh.
  await client.query(`set statement_timeout = ${Math.round(timeoutMs)}`);
  const base = (await client.query(BASE_SQL, [touchedTables])).rows[0];
  const db = base.db ?? {};
  for (const k of ['commit', 'rollback', 'deadlocks', 'blks_hit', 'blks_read'])
    counters[`db.${k}`] = Number(db[k] ?? 0);
  counters['tables.seq_scan'] = Number(base.seq_scan);
  Object.assign(gauges, {
    database_size_mb: Number(base.size_mb),
    lock_waits: Number(base.lock_waits),
    longest_lock_wait_ms: Number(base.longest_lock_wait_ms),
    long_transactions: Number(base.long_transactions),
    active_connections: Number(base.active),
    idle_in_transaction: Number(base.idle_in_tx),
    replication_lag_ms: Number(base.replication_lag_ms),
  });
  if (need.functions.length) {
    if (base.track_functions === 'none') {
      for (const s of sources)
        if (s.kind === 'builtin' && s.function)
          unavailable[metricKey(s)] =
            "track_functions is 'none' on this server: set track_functions = 'pl' (or 'all') in postgresql.conf, or ALTER DATABASE … SET track_functions = 'pl', to measure function calls";
    } else {
      const rows = (await client.query(FUNCTIONS_SQL, [need.functions])).rows;
      for (const f of need.functions) {
        const r = rows.find((x) => x.funcname === f);
        counters[`fn.${f}.calls`] = Number(r?.calls ?? 0);
        counters[`fn.${f}.time`] = Number(r?.time ?? 0);
      }
    }
  }
  if (need.pgss) {
    if (!base.has_pgss) {
      for (const s of sources)
        if (s.kind === 'builtin' && ['mean_query_ms', 'query_calls', 'p95_query_ms'].includes(s.metric))
          unavailable[metricKey(s)] =
            'pg_stat_statements is not installed: add it to shared_preload_libraries, restart, and run CREATE EXTENSION pg_stat_statements';
    } else {
      const r = (await client.query(PGSS_SQL)).rows[0];
      counters['pgss.calls'] = Number(r.calls);
      counters['pgss.time'] = Number(r.time);
      gauges.p95_query_ms = Number(r.p95);
    }
  }
  for (const c of need.custom) {
    try {
      await client.query('begin read only');
      const r = await client.query({ text: c.sql, rowMode: 'array' });
      const v = Number(r.rows[0]?.[0]);
      if (Number.isFinite(v)) gauges[c.key] = v;
      else
        unavailable[c.key] =
          `the query returned ${r.rows.length ? JSON.stringify(r.rows[0]?.[0]) : 'no rows'}, not a number`;
    } catch (e) {
      const err = e as pg.DatabaseError;
      unavailable[c.key] = `${err.code ? `${err.code} ` : ''}${err.message}`;
    } finally {
      await client.query('rollback').catch(() => {});
    }
  }
  await client.query('reset statement_timeout');
  return { at, counters, gauges, unavailable };
}
