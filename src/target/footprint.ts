/**
 * The bot's own footprint on a target, counted exactly as PostgreSQL counts it, so monitoring can subtract it:
 * anything the bot does on a target is invisible to the figures it reports about that target.
 *
 * Every connection the bot opens to a target is tracked here. PostgreSQL 15 counts (measured on this stack):
 * a connection's startup is one committed transaction; a statement outside a transaction block is one
 * transaction (committed, or rolled back when it fails); BEGIN … COMMIT is one; a COMMIT of an aborted block
 * answers ROLLBACK and counts as a rollback. pg_stat_statements counts each statement that completes (not the
 * failed ones); its time is taken here as the statement's round trip (a little more than its execution time).
 * Seq scans and function calls a transaction made are read from pg_stat_xact_user_tables/functions just before
 * the bot ends that transaction ("deep" tracking, used for checks and custom metric SQL).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Keys: db.commit, db.rollback, pgss.calls, pgss.time, seq.<relid>, fn.<name>.calls, fn.<name>.time. */
export type Counters = Record<string, number>;

/**
 * What monitoring can count of a transaction's own work, so only that is read: seq scans (the `seq_scans` metric)
 * and calls of the functions metrics name. Reading every table's counters costs milliseconds per read on a
 * database with 10,000 tables.
 */
export interface Measure {
  readonly seqScans: boolean;
  readonly functions: readonly string[];
  /** The tables whose scans matter (a run's touched tables, which is all `seq_scans` counts); all when unknown. */
  readonly tables?: readonly string[];
}

/** The same footprints, reading seq scans of `tables` only. */
export const narrowedTo = (f: Footprints, tables: readonly string[] | undefined): Footprints =>
  tables ? { ...f, measure: { ...f.measure, tables } } : f;

/** Where footprints go: the bot's store (cumulative per target), or nowhere for a one-off CLI run. */
export interface Footprints {
  add(target: string, counters: Counters): Promise<void>;
  total(target: string): Promise<Counters>;
  readonly measure: Measure;
}

export const unrecorded: Footprints = {
  add: async () => {},
  total: async () => ({}),
  measure: { seqScans: false, functions: [] },
};

/** Every statement the bot sends of its own (not migration files) starts with this marker. */
export const MARKER = '/* migration-gate */ ';

/** application_name of the bot's sessions on targets (the sampler waits while another one is open). */
export const APP_NAMES = ['migration-gate', 'migration-gate-check'] as const;

/** A target's identity without secrets: a hash of host, port and database name. */
export function targetKey(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  return createHash('sha256')
    .update(`${u.hostname}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1))}`)
    .digest('hex')
    .slice(0, 32);
}

export function addCounters(into: Counters, more: Readonly<Counters>): Counters {
  for (const [k, v] of Object.entries(more)) if (v) into[k] = (into[k] ?? 0) + v;
  return into;
}

/** A transaction's pending seq scans (user relations only) and calls of the named functions, as JSON. */
const xactSql = (m: Measure, flush: boolean) => `${MARKER}select
  ${
    m.seqScans
      ? `(select coalesce(json_object_agg(oid::text, n), '{}') from (select c.oid, pg_stat_get_xact_numscans(c.oid) as n
     from pg_class c where ${
       m.tables
         ? `c.oid = any(array(select to_regclass(t) from unnest($2::text[]) t))`
         : `c.relkind in ('r', 'p', 'm')
       and c.relnamespace <> all (array['pg_catalog', 'information_schema', 'pg_toast']::regnamespace[])`
     }) x
     where n > 0)`
      : `'{}'::json`
  } as seq,
  (select coalesce(json_object_agg(funcname, json_build_array(calls, ms)), '{}') from (select funcname,
     sum(calls)::float8 as calls, sum(total_time)::float8 as ms from pg_stat_xact_user_functions
     where funcname = any($1::text[]) group by funcname having sum(calls) > 0) f) as fns,
  ${flush ? `(select pg_stat_force_next_flush()) is null` : 'false'} as flushed`;

// PostgreSQL 15+ and allowed to call it (has_function_privilege): otherwise read after BEGIN as well.
const VERSION_SQL = `${MARKER}select case when current_setting('server_version_num')::int >= 150000
  then has_function_privilege('pg_stat_force_next_flush()', 'execute') else false end as ok`;
const TO_SAVEPOINT = /^\s*(\/\*.*?\*\/\s*)?rollback\s+(work\s+|transaction\s+)?to\b/i;
const ROLE = /^\s*(\/\*.*?\*\/\s*)?set\s+local\s+role\b/i;
const BEGIN = /^\s*(\/\*.*?\*\/\s*)?(begin|start transaction)\b/i;
const END = /^\s*(\/\*.*?\*\/\s*)?(commit|rollback)\s*;?\s*$/i;

export interface TrackOptions {
  /** Read what the transaction itself scanned and called (see Measure) before the bot ends it. */
  readonly deep?: Measure;
  /** Prefix the bot's own SQL with MARKER (not for migration files: it would shift error positions). */
  readonly mark?: boolean;
}

type QueryFn = (config: unknown, values?: unknown) => Promise<pg.QueryResult | pg.QueryResult[]>;

const textOf = (config: unknown): string | undefined =>
  typeof config === 'string'
    ? config
    : typeof config === 'object' && config && typeof (config as { text?: unknown }).text === 'string'
      ? (config as { text: string }).text
      : undefined;

const withText = (config: unknown, text: string): unknown =>
  typeof config === 'string' ? text : { ...(config as object), text };

/**
 * Count what `client` does into `counters` from now on (call it right after connecting; counts the startup).
 * Only promise-style queries are tracked; the bot uses no other.
 */
export function track(client: pg.ClientBase, counters: Counters, opts: TrackOptions = {}): () => void {
  const state = { inTx: false, roleSet: false, finished: false };
  const bump = (k: string, n = 1) => {
    counters[k] = (counters[k] ?? 0) + n;
  };
  bump('db.commit'); // the connection's startup transaction
  const original = client.query.bind(client) as unknown as QueryFn;
  const run = async (config: unknown, values?: unknown) => {
    const started = performance.now();
    try {
      const r = await original(config, values);
      const results = Array.isArray(r) ? r : [r];
      bump('pgss.calls', results.length);
      bump('pgss.time', performance.now() - started);
      let control = false;
      for (const res of results) {
        const cmd = res.command;
        if (cmd === 'BEGIN' || cmd === 'START') {
          state.inTx = true;
          control = true;
        } else if ((cmd === 'COMMIT' || cmd === 'ROLLBACK') && !TO_SAVEPOINT.test(textOf(config) ?? '')) {
          // (ROLLBACK TO SAVEPOINT answers with the tag ROLLBACK too, but the transaction goes on.)
          state.inTx = false;
          control = true;
          bump(cmd === 'COMMIT' ? 'db.commit' : 'db.rollback');
        }
      }
      if (!control && !state.inTx) bump('db.commit');
      return r;
    } catch (e) {
      // Statements of a multi-statement message that completed before the failing one (src/target/batch.ts).
      bump('pgss.calls', (e as { completedStatements?: number }).completedStatements ?? 0);
      if (!state.inTx && (e as pg.DatabaseError).code) bump('db.rollback');
      throw e;
    }
  };
  // A COMMIT that fails (a deferred constraint, a serialization failure) ends the transaction as a rollback.
  const runEnd = async (config: unknown, values?: unknown) => {
    try {
      return await run(config, values);
    } catch (e) {
      if (state.inTx && (e as pg.DatabaseError).code) {
        state.inTx = false;
        state.roleSet = false;
        bump('db.rollback');
      }
      throw e;
    }
  };
  // PostgreSQL keeps a backend's pending statistics across its transactions until it flushes them (at most once
  // a second, between transactions): pg_stat_xact_* shows that running total. On PostgreSQL 15+ the read before
  // the end also forces the flush that follows the COMMIT, so the next transaction starts from zero: one read each.
  // Before 15, read right after BEGIN as well and keep the difference.
  let atBegin: Counters | undefined;
  let canFlush: boolean | undefined;
  const deep = !!opts.deep && (opts.deep.seqScans || opts.deep.functions.length > 0);
  // A read that fails must not abort the transaction it reads (the check's own work): it runs in a savepoint.
  const readXact = async (): Promise<Counters | undefined> => {
    try {
      await run(`${MARKER}savepoint migration_gate_footprint`);
    } catch {
      return undefined; // the transaction already failed: what it did before goes uncounted
    }
    try {
      // A check may have SET LOCAL ROLE to a role that may not read or flush statistics: read as the bot.
      if (state.roleSet) await run(`${MARKER}set local role none`);
      const m = opts.deep!;
      const values = m.seqScans && m.tables ? [m.functions, m.tables] : [m.functions];
      const x = (await run({ text: xactSql(m, !!canFlush), values })) as pg.QueryResult;
      const row = x.rows[0] as { seq: Record<string, number>; fns: Record<string, [number, number]> };
      const out: Counters = {};
      for (const [relid, n] of Object.entries(row.seq)) out[`seq.${relid}`] = Number(n);
      for (const [fn, [calls, ms]] of Object.entries(row.fns)) {
        out[`fn.${fn}.calls`] = Number(calls);
        out[`fn.${fn}.time`] = Number(ms);
      }
      // Rolling back to the savepoint restores the check's role; releasing keeps the transaction as it was.
      await run(`${MARKER}${state.roleSet ? 'rollback to' : 'release'} savepoint migration_gate_footprint`);
      return out;
    } catch {
      await run(`${MARKER}rollback to savepoint migration_gate_footprint`).catch(() => {});
      return undefined;
    }
  };
  const query = async (config: unknown, values?: unknown) => {
    let text = textOf(config);
    if (text !== undefined && opts.mark && !text.startsWith(MARKER)) {
      text = MARKER + text;
      config = withText(config, text);
    }
    if (deep && state.inTx && (atBegin || canFlush) && text && END.test(text)) {
      const atEnd = await readXact();
      if (atEnd) for (const [k, v] of Object.entries(atEnd)) bump(k, v - (atBegin?.[k] ?? 0));
      atBegin = undefined;
    }
    const ending = !!text && END.test(text);
    const r = ending ? await runEnd(config, values) : await run(config, values);
    if (ending) state.roleSet = false;
    else if (state.inTx && text && ROLE.test(text)) state.roleSet = true;
    if (deep && state.inTx && text && BEGIN.test(text)) {
      canFlush ??= ((await run(VERSION_SQL)) as pg.QueryResult).rows[0]?.ok === true;
      if (!canFlush) atBegin = await readXact();
    }
    return r;
  };
  (client as unknown as { query: QueryFn }).query = query;
  // A session that ends inside a transaction block rolls it back. Called before the session is closed, so its
  // footprint is recorded while it still shows in pg_stat_activity (a sampler waits for it then), and again, idly,
  // when it ends.
  const finish = () => {
    if (state.finished) return;
    state.finished = true;
    if (state.inTx) bump('db.rollback');
  };
  client.once('end', finish);
  return finish;
}
