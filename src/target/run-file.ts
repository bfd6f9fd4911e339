/** One migration file on one target: its own transaction (or none, when PostgreSQL requires it), lock attempts. */
import type pg from 'pg';
import type { Environment } from '../config.js';
import type { LockWait } from '../deploy/lock-attempts.js';
import type { TracedStatement } from '../deploy/lock-trace.js';
import type { PgErrorView } from '../deploy/results.js';
import { runBatched, StatementError } from './batch.js';
import type { MigrationFile } from './files.js';
import type { Footprints } from './footprint.js';
import { type Recorder, recordApplied } from './ledger.js';
import { type Attempts, type RetryContext, withLockRetries } from './lock-retries.js';
import { lockTracer } from './lock-trace.js';
import { type LockWatch, lockWatch } from './lock-watch.js';
import { toPgError } from './pg-error.js';
import { applySettings, resetSettings } from './session-settings.js';
import type { Statement } from './sql.js';

/** What applying needs to know about an environment. */
export type ApplySettings = Pick<
  Environment,
  | 'name'
  | 'databaseUrl'
  | 'firstLockTimeoutMs'
  | 'lockTimeoutMs'
  | 'statementTimeoutMs'
  | 'lockRetries'
  | 'retryBackoffMs'
  | 'settings'
>;

export interface FileResult {
  readonly id: string;
  readonly statements: number;
  readonly durationMs: number;
  readonly lockRetries: number;
  /** Set when the file ran statement by statement outside a transaction, and why. */
  readonly outsideTransaction?: string;
  /** Attempts that did not get their lock, and who held it. */
  readonly lockWaits?: LockWait[];
  /** The strong locks each statement took on relations that existed before, and for how long. */
  readonly lockTrace?: TracedStatement[];
}

export interface FileFailure extends FileResult {
  readonly error: PgErrorView;
  /** Statements that ran and stay applied (only for files outside a transaction). */
  readonly statementsKept: number;
}

export interface ApplyContext {
  readonly runId: number;
  readonly appliedBy: string;
  /** The files the approver was shown as pending here (its preflight), in order: anything else is refused. */
  readonly expected?: readonly string[];
  /** Where the bot's own footprint on the target is recorded (see footprint.ts). */
  readonly footprints: Footprints;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Who blocks a lock attempt is seen from this (one per apply); without it, one per file, opened when needed. */
  readonly lockWatch?: LockWatch;
  /** Jitter for the backoff between lock attempts (Math.random unless a test fixes it). */
  readonly random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const pids = new WeakMap<pg.ClientBase, number>();
async function backendPid(client: pg.ClientBase): Promise<number> {
  let pid = pids.get(client);
  if (pid === undefined) {
    pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
    pids.set(client, pid);
  }
  return pid;
}

/** Lock attempts for one file, watching who blocks it from a second connection opened only if needed. */
async function retrying<T>(
  client: pg.ClientBase,
  env: ApplySettings,
  ctx: ApplyContext,
  fn: (retry: (attempt: (lockTimeoutMs: number) => Promise<void>) => Promise<Attempts>) => Promise<T>,
): Promise<T> {
  const own = ctx.lockWatch ? undefined : lockWatch(env.databaseUrl, ctx.footprints);
  own?.warm();
  const watch = ctx.lockWatch ?? own!;
  const rc: RetryContext = {
    watch,
    pid: await backendPid(client),
    sleep: ctx.sleep ?? defaultSleep,
    random: ctx.random ?? Math.random,
    now: () => performance.now(),
  };
  try {
    return await fn((attempt) => withLockRetries(env, rc, attempt));
  } finally {
    await own?.close();
  }
}

const timeouts = (env: ApplySettings, lockTimeoutMs: number, scope: 'local ' | '') =>
  `set ${scope}lock_timeout = ${lockTimeoutMs}; set ${scope}statement_timeout = ${env.statementTimeoutMs}`;

async function runInTransaction(
  client: pg.ClientBase,
  env: ApplySettings,
  file: MigrationFile,
  statements: Statement[],
  ctx: ApplyContext,
  record: Recorder,
): Promise<FileResult | FileFailure> {
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  const tracer = lockTracer(statements);
  let trace: TracedStatement[] = [];
  const { retries, waits, error } = await retrying(client, env, ctx, (retry) =>
    retry(async (lockTimeoutMs) => {
      try {
        await client.query('begin');
        await client.query(timeouts(env, lockTimeoutMs, 'local '));
        await applySettings(client, env.settings, true);
        const tracing = await tracer.start(client);
        const ran = await runBatched(client, statements, { probe: tracing ? tracer.probe : undefined });
        const ranAt = performance.now();
        await resetSettings(client, env.settings); // the ledger rows are written as the bot, not as `role`
        await record(client, {
          durationMs: since(),
          statements: statements.length,
          outside: null,
          sql: texts(statements),
        });
        await client.query('commit');
        if (tracing) trace = tracer.finish(ran.probes, ran.rowCounts, performance.now() - ranAt);
      } catch (e) {
        await client.query('rollback').catch(() => {});
        throw e;
      }
    }),
  );
  const base = {
    id: file.id,
    file: file.fileName,
    statements: statements.length,
    durationMs: since(),
    lockRetries: retries,
    ...(waits.length ? { lockWaits: waits } : {}),
  };
  if (error === undefined) return trace.length ? { ...base, lockTrace: trace } : base;
  const index = error instanceof StatementError ? error.index : -1;
  const cause = error instanceof StatementError ? error.failure : error;
  return { ...base, statementsKept: 0, error: toPgError(cause, file, statements[index], index) };
}

const texts = (statements: Statement[]) => statements.map((s) => s.sql);

async function runOutsideTransaction(
  client: pg.ClientBase,
  env: ApplySettings,
  file: MigrationFile,
  statements: Statement[],
  reason: string,
  ctx: ApplyContext,
  record: Recorder,
): Promise<FileResult | FileFailure> {
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  let retries = 0;
  const waits: LockWait[] = [];
  const base = () => ({
    id: file.id,
    file: file.fileName,
    statements: statements.length,
    durationMs: since(),
    lockRetries: retries,
    outsideTransaction: reason,
    ...(waits.length ? { lockWaits: waits } : {}),
  });
  try {
    await client.query(timeouts(env, env.lockTimeoutMs, ''));
    try {
      await applySettings(client, env.settings, false);
    } catch (e) {
      return { ...base(), statementsKept: 0, error: toPgError(e, file, undefined, -1) };
    }
    const failed = await retrying(client, env, ctx, async (retry) => {
      for (const [i, st] of statements.entries()) {
        const r = await retry(async (lockTimeoutMs) => {
          await client.query(`set lock_timeout = ${lockTimeoutMs}`);
          await client.query(st.sql);
        });
        retries += r.retries;
        waits.push(...r.waits);
        if (r.error !== undefined)
          return { ...base(), statementsKept: i, error: toPgError(r.error, file, st, i) };
      }
      return undefined;
    });
    if (failed) return failed;
    await resetSettings(client, env.settings);
    const durationMs = since();
    await record(client, {
      durationMs,
      statements: statements.length,
      outside: reason,
      sql: texts(statements),
    });
    return { ...base(), durationMs };
  } finally {
    await client.query('reset lock_timeout; reset statement_timeout').catch(() => {});
    await resetSettings(client, env.settings).catch(() => {});
  }
}

/** Run one parsed file: in one transaction, or statement by statement when PostgreSQL requires it. */
export async function applyFile(
  client: pg.ClientBase,
  env: ApplySettings,
  file: MigrationFile,
  statements: Statement[],
  ctx: ApplyContext,
  record: Recorder = recordApplied(file, ctx),
): Promise<FileResult | FileFailure> {
  const outside = statements.find((s) => s.noTransaction)?.noTransaction;
  return outside
    ? runOutsideTransaction(client, env, file, statements, outside, ctx, record)
    : runInTransaction(client, env, file, statements, ctx, record);
}

export const isFailure = (r: FileResult | FileFailure): r is FileFailure => 'error' in r;
