/** One migration file on one target: its own transaction (or none, when PostgreSQL requires it), lock retries. */
import type pg from 'pg';
import type { Environment } from '../config.js';
import type { PgErrorView } from '../deploy/results.js';
import { runBatched, StatementError } from './batch.js';
import type { MigrationFile } from './files.js';
import type { Footprints } from './footprint.js';
import { type Recorder, recordApplied } from './ledger.js';
import { toPgError } from './pg-error.js';
import { applySettings, resetSettings } from './session-settings.js';
import type { Statement } from './sql.js';

const RETRYABLE = new Set(['55P03', '40P01']); // lock_not_available, deadlock_detected

/** What applying needs to know about an environment. */
export type ApplySettings = Pick<
  Environment,
  | 'name'
  | 'databaseUrl'
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
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Run `attempt` again after `retryBackoff`, doubled each time, while it fails with a lock timeout or a deadlock,
 * up to `lockRetries` times. Gives back the retries it took, and the last error if it never succeeded.
 */
async function withLockRetries(
  env: ApplySettings,
  ctx: ApplyContext,
  attempt: () => Promise<void>,
): Promise<{ retries: number; error?: unknown }> {
  const sleep = ctx.sleep ?? defaultSleep;
  for (let n = 0; ; n++) {
    try {
      await attempt();
      return { retries: n };
    } catch (e) {
      const code = ((e instanceof StatementError ? e.failure : e) as pg.DatabaseError).code;
      if (!code || !RETRYABLE.has(code) || n >= env.lockRetries) return { retries: n, error: e };
      await sleep(env.retryBackoffMs * 2 ** n);
    }
  }
}

const timeouts = (env: ApplySettings, scope: 'local ' | '') =>
  `set ${scope}lock_timeout = ${env.lockTimeoutMs}; set ${scope}statement_timeout = ${env.statementTimeoutMs}`;

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
  const { retries, error } = await withLockRetries(env, ctx, async () => {
    try {
      await client.query('begin');
      await client.query(timeouts(env, 'local '));
      await applySettings(client, env.settings, true);
      await runBatched(client, statements);
      await resetSettings(client, env.settings); // the ledger rows are written as the bot, not as `role`
      await record(client, {
        durationMs: since(),
        statements: statements.length,
        outside: null,
        sql: texts(statements),
      });
      await client.query('commit');
    } catch (e) {
      await client.query('rollback').catch(() => {});
      throw e;
    }
  });
  const base = {
    id: file.id,
    file: file.fileName,
    statements: statements.length,
    durationMs: since(),
    lockRetries: retries,
  };
  if (error === undefined) return base;
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
  const base = () => ({
    id: file.id,
    file: file.fileName,
    statements: statements.length,
    durationMs: since(),
    lockRetries: retries,
    outsideTransaction: reason,
  });
  try {
    await client.query(timeouts(env, ''));
    try {
      await applySettings(client, env.settings, false);
    } catch (e) {
      return { ...base(), statementsKept: 0, error: toPgError(e, file, undefined, -1) };
    }
    for (const [i, st] of statements.entries()) {
      const r = await withLockRetries(env, ctx, async () => {
        await client.query(st.sql);
      });
      retries += r.retries;
      if (r.error !== undefined)
        return { ...base(), statementsKept: i, error: toPgError(r.error, file, st, i) };
    }
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
