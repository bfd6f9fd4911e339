/**
 * Read pg_stat_* and custom SQL at one instant: the sample that monitoring metrics derive from, with the bot's own
 * footprint on the target taken out of every counter (see footprint.ts).
 */
import type pg from 'pg';
import type { Environment } from '../config.js';
import { COUNTED, type MetricSource, metricKey, needs } from '../deploy/metrics.js';
import type { RawSample } from '../deploy/monitoring.js';
import { withTargetClient } from './client.js';
import { APP_NAMES, type Counters, type Footprints, MARKER, targetKey } from './footprint.js';

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
  (select coalesce(array_agg(to_regclass(t)::oid::text), '{}') from unnest($1::text[]) t
     where to_regclass(t) is not null) as touched_relids,
  (select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
     and application_name = any($2::text[]))::int as bot_sessions,
  current_setting('track_functions') as track_functions,
  to_regclass('pg_stat_statements') is not null as has_pgss`;

const FUNCTIONS_SQL = `select funcname, sum(calls)::float8 as calls, sum(total_time)::float8 as time
  from pg_stat_user_functions where funcname = any($1::text[]) group by funcname`;

// Calls and time over every statement (the bot's own are subtracted exactly from its footprint); the p95 gauge
// (mean + 1.645 sigma, cumulative) leaves out the entries of the bot's marked statements.
const PGSS_SQL = `select coalesce(sum(calls), 0)::float8 as calls, coalesce(sum(total_exec_time), 0)::float8 as time,
  coalesce(sum(calls * (mean_exec_time + 1.645 * stddev_exec_time)) filter (where not bot)
    / nullif(sum(calls) filter (where not bot), 0), 0)::float8 as p95
  from (select *, query like '${MARKER.trim()}%' as bot from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database())) s`;

/** One reading of everything `sources` need. Unavailable metrics say which setting to change. */
async function readOnce(
  client: pg.ClientBase,
  session: Readonly<Counters>,
  own: Readonly<Counters>,
  sources: readonly MetricSource[],
  touchedTables: readonly string[],
  at: string,
  timeoutMs: number,
): Promise<{ sample: RawSample; botSessions: number }> {
  const need = needs(sources);
  const counters: Record<string, number> = {};
  const gauges: Record<string, number> = {};
  const unavailable: Record<string, string> = {};
  // Statistics are read in their own statements, outside any transaction, so each reading is fresh.
  await client.query(`set statement_timeout = ${Math.round(timeoutMs)}`);
  const base = (await client.query(BASE_SQL, [touchedTables, APP_NAMES])).rows[0];
  const db = base.db ?? {};
  // This session's startup transaction is already in pg_stat_database (flushed before its first query); its
  // later statements are not yet: they land in the footprint when it ends, and in the next reading.
  const mine = (k: string) => (own[k] ?? 0) + (k === 'db.commit' ? 1 : 0);
  for (const k of ['commit', 'rollback', 'deadlocks', 'blks_hit', 'blks_read'])
    counters[`db.${k}`] = Number(db[k] ?? 0) - mine(`db.${k}`);
  counters['tables.seq_scan'] =
    Number(base.seq_scan) - (base.touched_relids as string[]).reduce((n, r) => n + (own[`seq.${r}`] ?? 0), 0);
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
        counters[`fn.${f}.calls`] = Number(r?.calls ?? 0) - (own[`fn.${f}.calls`] ?? 0);
        counters[`fn.${f}.time`] = Number(r?.time ?? 0) - (own[`fn.${f}.time`] ?? 0);
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
      // pg_stat_statements counts each statement as it completes: this session's earlier ones are in already.
      const before = { calls: session['pgss.calls'] ?? 0, time: session['pgss.time'] ?? 0 };
      const r = (await client.query(PGSS_SQL)).rows[0];
      counters['pgss.calls'] = Number(r.calls) - (own['pgss.calls'] ?? 0) - before.calls;
      counters['pgss.time'] = Number(r.time) - (own['pgss.time'] ?? 0) - before.time;
      gauges.p95_query_ms = Number(r.p95);
    }
  }
  for (const c of need.custom) {
    try {
      await client.query('begin read only');
      const r = await client.query({
        text: c.sql,
        rowMode: 'array',
        queryMode: 'extended',
      } as pg.QueryConfig);
      const v = Number(r.rows[0]?.[0]);
      if (Number.isFinite(v)) gauges[c.key] = v;
      else
        unavailable[c.key] =
          `the query returned ${r.rows.length ? JSON.stringify(r.rows[0]?.[0]) : 'no rows'}, not a number`;
    } catch (e) {
      const err = e as pg.DatabaseError;
      unavailable[c.key] = `${err.code ? `${err.code} ` : ''}${err.message}`;
    } finally {
      // COMMIT, not ROLLBACK: a read-only transaction has nothing to undo (a failed one answers ROLLBACK).
      await client.query('commit').catch(() => {});
    }
  }
  await client.query('reset statement_timeout');
  return { sample: { at, counters, gauges, unavailable }, botSessions: Number(base.bot_sessions) };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * One sample of a target for monitoring (and the baseline at preflight), minus everything the bot itself did there.
 * While another of the bot's sessions is open on the target (a check, a rollback), its statistics may be half
 * flushed, so the reading is taken again a little later (up to `waitMs`), each time in a fresh session.
 */
export async function sampleTarget(
  env: Pick<Environment, 'databaseUrl'>,
  footprints: Footprints,
  sources: readonly MetricSource[],
  touchedTables: readonly string[],
  at: () => string,
  opts: { timeoutMs?: number; waitMs?: number } = {},
): Promise<RawSample> {
  const deadline = performance.now() + (opts.waitMs ?? 2_000);
  for (;;) {
    const own = await footprints.total(targetKey(env.databaseUrl));
    const opening = performance.now();
    let connectMs = 0;
    const { sample: read, botSessions } = await withTargetClient(
      env,
      footprints,
      (client, session) => {
        connectMs = performance.now() - opening;
        return readOnce(client, session, own, sources, touchedTables, at(), opts.timeoutMs ?? 10_000);
      },
      // Custom metric SQL is the bot's work too: what it scans of the touched tables is read before it commits.
      { mark: true, deep: { ...footprints.measure, tables: touchedTables } },
    );
    // connect_ms: how long opening a connection took (with `down:`, whether the database can be reached at all).
    const sample = sources.some((s) => s.kind === 'builtin' && s.metric === 'connect_ms')
      ? { ...read, gauges: { ...read.gauges, connect_ms: connectMs } }
      : read;
    if (!botSessions) return sample;
    if (performance.now() >= deadline) return withoutCounters(sample, sources);
    await sleep(200);
  }
}

/** After waiting, a reading taken while the bot was still working on the target: its counters are not trusted. */
function withoutCounters(sample: RawSample, sources: readonly MetricSource[]): RawSample {
  const why =
    "the bot's own session on this database was still open after 2 s (a long check or rollback), so its counters could be half counted: not measured this time";
  const unavailable = { ...sample.unavailable };
  for (const s of sources) if (s.kind === 'builtin' && COUNTED.has(s.metric)) unavailable[metricKey(s)] = why;
  return { ...sample, unavailable };
}
