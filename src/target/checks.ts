/** Run declarative checks against a target: read-only transactions, timeouts, bounded parallelism. */
import type pg from 'pg';
import type { EnvUrl } from '../config.js';
import type { Check } from '../deploy/check-schema.js';
import { type CheckResult, judgeCatalog } from '../deploy/checks.js';
import { evaluate, type QueryResult, type Verdict } from '../deploy/expectations.js';
import type { Footprints } from './footprint.js';
import { RequestFailed, runHttpCheck } from './http.js';
import { countRows, ident } from './rows-before.js';
import { openTracked, trackedPool } from './sessions.js';

export interface RunChecksOptions {
  /** Where the bot's own footprint on the target is recorded (checks must never look like application work). */
  readonly footprints: Footprints;
  /** Checks run at most this many at a time (default 4). */
  readonly parallel?: number;
  readonly defaultTimeoutMs?: number;
  /** Exact row counts taken at preflight, for rows_unchanged. */
  readonly baselineRowCounts?: Readonly<Record<string, number>>;
  /** The environment's base URLs, for http checks (requests are never sent inside a transaction). */
  readonly urls?: Readonly<Record<string, EnvUrl>>;
}

class CheckError extends Error {}

function pgMessage(e: unknown): string {
  const err = e as pg.DatabaseError;
  if (err.code === '25006')
    return `This check tried to write in a read-only transaction (${err.message}). Checks are read-only unless they declare writes: true; nothing was written.`;
  if (err.code === '57014') return `The check ran past its timeout and was cancelled (${err.message}).`;
  return `${err.code ? `${err.code} ` : ''}${err.message}${err.hint ? ` (hint: ${err.hint})` : ''}`;
}

async function inTransaction<T>(
  client: pg.PoolClient,
  readOnly: boolean,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  await client.query(readOnly ? 'begin read only' : 'begin');
  let done = false;
  try {
    await client.query(`set local statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
    const out = await fn();
    done = true;
    return out;
  } finally {
    // A read-only transaction that worked ends in COMMIT (nothing to undo, and no "rollback" in the target's
    // statistics); a writing check, or one that failed, is rolled back: a check never leaves anything behind.
    await client.query(readOnly && done ? 'commit' : 'rollback').catch(() => {});
  }
}

/** One statement of a check's own SQL, over the extended protocol: PostgreSQL itself refuses a second one. */
const one = (text: string, values: unknown[] = []): pg.QueryConfig & { queryMode: 'extended' } => ({
  text,
  values,
  queryMode: 'extended',
});

async function arrays(client: pg.ClientBase, sql: string, params: unknown[] = []): Promise<QueryResult> {
  const r = await client.query({ ...one(sql, params), rowMode: 'array' });
  return { columns: r.fields.map((f) => f.name), rows: r.rows as unknown[][] };
}

async function runOne(pool: pg.Pool, url: string, check: Check, opts: RunChecksOptions): Promise<Verdict> {
  const timeout = check.timeoutMs ?? opts.defaultTimeoutMs ?? 30_000;
  const plan = check.plan;
  if (plan.kind === 'concurrent') return runConcurrent(pool, url, plan, timeout, opts.footprints);
  if (plan.kind === 'http')
    return runHttpCheck(opts.urls, plan, check.timeoutMs ?? Math.min(timeout, 30_000));
  const client = await pool.connect();
  try {
    switch (plan.kind) {
      case 'catalog':
        return await inTransaction(client, true, timeout, async () => {
          const r = await client.query<{ ok: boolean; actual: string }>(plan.sql, plan.params);
          return judgeCatalog(plan.target, r.rows[0]);
        });
      case 'sql':
        return await inTransaction(client, !plan.writes, timeout, async () => {
          if (plan.as) {
            for (const [k, v] of Object.entries(plan.as.settings))
              await client.query('select set_config($1, $2, true)', [k, String(v)]);
            await client.query(`set local role ${ident(plan.as.role)}`);
          }
          return evaluate(plan.expect, await arrays(client, plan.sql));
        });
      case 'rows_unchanged': {
        const baseline = opts.baselineRowCounts;
        if (!baseline)
          throw new CheckError(
            'rows_unchanged compares with the row counts taken at preflight; it runs as part of a deploy, not on its own.',
          );
        const listed = plan.tables === true ? Object.keys(baseline) : plan.tables;
        // A table with no count before the run did not exist then: nothing of it could be lost.
        const tables = listed.filter((t) => baseline[t] !== undefined);
        const created = listed.length - tables.length;
        const now = await inTransaction(client, true, timeout, () => countRows(client, tables));
        const changed = tables.filter((t) => now[t] !== baseline[t]);
        return {
          pass: changed.length === 0,
          target: `row counts of ${listed.length} table(s) unchanged`,
          actual: changed.length
            ? changed.map((t) => `${t} ${baseline[t]} → ${now[t]}`).join(', ')
            : `${tables.length} unchanged${created ? ` (${created} new)` : ''}`,
        };
      }
    }
  } finally {
    client.release();
  }
}

/**
 * N separate connections fire at once (real, committed calls), then `then` is checked, then cleanup runs.
 * Each call is its own BEGIN … COMMIT so the bot can read, before committing, what the call did (function
 * calls, seq scans) and keep it out of the figures monitoring reports.
 */
async function runConcurrent(
  pool: pg.Pool,
  url: string,
  plan: Extract<Check['plan'], { kind: 'concurrent' }>,
  timeout: number,
  footprints: Footprints,
): Promise<Verdict> {
  // Every connection that opened is closed (and its footprint recorded), even when another could not open.
  const tried = await Promise.allSettled(
    Array.from({ length: plan.times }, () =>
      openTracked(url, footprints, {
        application_name: 'migration-gate-check',
        deep: footprints.measure,
        mark: true,
      }),
    ),
  );
  const opened = tried.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
  const refused = tried.find((t): t is PromiseRejectedResult => t.status === 'rejected');
  if (refused) {
    await Promise.all(opened.map((o) => o.end()));
    throw refused.reason;
  }

  const clients = opened.map((o) => o.client);
  const committed = async (c: pg.Client, sql: string) => {
    await c.query('begin');
    try {
      await c.query(one(sql));
      await c.query('commit');
    } catch (e) {
      await c.query('rollback').catch(() => {});
      throw e;
    }
  };
  try {
    await Promise.all(clients.map((c) => c.query(`set statement_timeout = ${timeout}`)));
    if (plan.setup) await committed(clients[0]!, plan.setup);
    const settled = await Promise.allSettled(clients.map((c) => committed(c, plan.sql)));
    const failed = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    if (failed.length)
      throw new CheckError(
        `${failed.length} of ${plan.times} concurrent calls failed: ${pgMessage(failed[0]!.reason)}`,
      );
    const client = await pool.connect();
    try {
      return await inTransaction(client, true, timeout, async () =>
        evaluate(plan.after.expect, await arrays(client, plan.after.sql)),
      );
    } finally {
      client.release();
    }
  } finally {
    if (plan.cleanup) await committed(clients[0]!, plan.cleanup).catch(() => {});
    await Promise.all(opened.map((o) => o.end()));
  }
}

/** Run checks with at most `parallel` at once; a query error is a failed check, never a crash. */
export async function runChecks(
  url: string,
  checks: readonly Check[],
  opts: RunChecksOptions,
): Promise<CheckResult[]> {
  const parallel = Math.max(1, Math.min(opts.parallel ?? 4, checks.length || 1));
  const { pool, end } = trackedPool(url, opts.footprints, {
    max: parallel,
    deep: opts.footprints.measure,
    mark: true,
  });
  const results: CheckResult[] = new Array(checks.length);
  const one = async (i: number) => {
    const check = checks[i]!;
    const started = performance.now();
    let verdict: Verdict | undefined;
    let error: string | undefined;
    try {
      verdict = await runOne(pool, url, check, opts);
    } catch (e) {
      error = e instanceof CheckError || e instanceof RequestFailed ? e.message : pgMessage(e);
    }
    results[i] = {
      name: check.name,
      kind: check.kind,
      severity: check.severity,
      source: check.source,
      status: error ? 'error' : verdict!.pass ? 'pass' : 'fail',
      target: verdict?.target ?? '',
      actual: error
        ? 'error'
        : verdict!.problem
          ? `${verdict!.actual} (${verdict!.problem})`
          : verdict!.actual,
      durationMs: Math.round(performance.now() - started),
      error,
    };
  };
  // Concurrent checks commit their setup and cleanup: they run alone, after the others, so no other check sees
  // their rows; rows_unchanged counts last, once every check's rows are gone again.
  const phase = (c: Check) => (c.plan.kind === 'rows_unchanged' ? 2 : c.plan.kind === 'concurrent' ? 1 : 0);
  const indices = (p: number) => checks.flatMap((c, i) => (phase(c) === p ? [i] : []));
  try {
    const together = indices(0);
    let next = 0;
    const worker = async () => {
      for (let k = next++; k < together.length; k = next++) await one(together[k]!);
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    for (const i of [...indices(1), ...indices(2)]) await one(i);
  } finally {
    await end();
  }
  return results;
}
