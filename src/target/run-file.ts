/** One migration file on one target: its own transaction (or none, when PostgreSQL requires it), lock retries. */
import type pg from 'pg';
import type { Environment } from '../config.js';
import type { PgErrorView } from '../deploy/results.js';
import type { MigrationFile } from './files.js';
import type { Footprints } from './footprint.js';
import { type Recorder, recordApplied } from './ledger.js';
import { toPgError } from './pg-error.js';
import type { Statement } from './sql.js';

const RETRYABLE = new Set(['55P03', '40P01']); // lock_not_available, deadlock_detected

/** What applying needs to know about an environment. */
export type ApplySettings = Pick<
  Environment,
  'name' | 'databaseUrl' | 'lockTimeoutMs' | 'statementTimeoutMs' | 'lockRetries' | 'retryBackoffMs'
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

class StatementError extends Error {
  constructor(
    readonly failure: unknown,
    readonly index: number,
  ) {
    super('statement failed');
  }
}

async function runInTransaction(
  client: pg.ClientBase,
  env: ApplySettings,
  file: MigrationFile,
  statements: Statement[],
  ctx: ApplyContext,
  record: Recorder,
): Promise<FileResult | FileFailure> {
  const sleep = ctx.sleep ?? defaultSleep;
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await client.query('begin');
      await client.query(
        `set local lock_timeout = ${env.lockTimeoutMs}; set local statement_timeout = ${env.statementTimeoutMs}`,
      );
      for (const [i, st] of statements.entries()) {
        await client.query(st.sql).catch((e) => {
          throw new StatementError(e, i);
        });
      }
      const durationMs = Math.round(performance.now() - started);
      await record(client, {
        durationMs,
        statements: statements.length,
        outside: null,
        sql: statements.map((s) => s.sql),
      });
      await client.query('commit');
      return { id: file.id, statements: statements.length, durationMs, lockRetries: attempt };
    } catch (e) {
      await client.query('rollback').catch(() => {});
      const cause = e instanceof StatementError ? e.failure : e;
      const index = e instanceof StatementError ? e.index : -1;
      const code = (cause as pg.DatabaseError).code;
      if (code && RETRYABLE.has(code) && attempt < env.lockRetries) {
        await sleep(env.retryBackoffMs * 2 ** attempt);
        continue;
      }
      return {
        id: file.id,
        statements: statements.length,
        durationMs: Math.round(performance.now() - started),
        lockRetries: attempt,
        statementsKept: 0,
        error: toPgError(cause, file, statements[index], index),
      };
    }
  }
}

async function runOutsideTransaction(
  client: pg.ClientBase,
  env: ApplySettings,
  file: MigrationFile,
  statements: Statement[],
  reason: string,
  ctx: ApplyContext,
  record: Recorder,
): Promise<FileResult | FileFailure> {
  const sleep = ctx.sleep ?? defaultSleep;
  const started = performance.now();
  let retries = 0;
  await client.query(
    `set lock_timeout = ${env.lockTimeoutMs}; set statement_timeout = ${env.statementTimeoutMs}`,
  );
  try {
    for (const [i, st] of statements.entries()) {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(st.sql);
          break;
        } catch (e) {
          const code = (e as pg.DatabaseError).code;
          if (code && RETRYABLE.has(code) && attempt < env.lockRetries) {
            retries++;
            await sleep(env.retryBackoffMs * 2 ** attempt);
            continue;
          }
          return {
            id: file.id,
            statements: statements.length,
            durationMs: Math.round(performance.now() - started),
            lockRetries: retries,
            outsideTransaction: reason,
            statementsKept: i,
            error: toPgError(e, file, st, i),
          };
        }
      }
    }
    const durationMs = Math.round(performance.now() - started);
    await record(client, {
      durationMs,
      statements: statements.length,
      outside: reason,
      sql: statements.map((s) => s.sql),
    });
    return {
      id: file.id,
      statements: statements.length,
      durationMs,
      lockRetries: retries,
      outsideTransaction: reason,
    };
  } finally {
    await client.query('reset lock_timeout; reset statement_timeout').catch(() => {});
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
