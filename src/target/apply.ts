import type pg from 'pg';
import type { Environment } from '../config.js';

/** What applying needs to know about an environment. */
export type ApplySettings = Pick<
  Environment,
  'name' | 'databaseUrl' | 'lockTimeoutMs' | 'statementTimeoutMs' | 'lockRetries' | 'retryBackoffMs'
>;

import { diffSnapshots, type SnapshotDiff } from '../deploy/diff.js';
import { type Drift, type LedgerEntry, planPending } from '../deploy/ledger.js';
import { lineColAt } from '../deploy/position.js';
import type { PgErrorView } from '../deploy/results.js';
import { LEDGER_SCHEMA, serverVersionNum, withTargetClient } from './client.js';
import type { MigrationFile } from './files.js';
import type { Footprints } from './footprint.js';
import { takeSnapshot } from './snapshot.js';
import { loadParser, type Statement, splitStatements, statementProblems } from './sql.js';

const LOCK_KEY = [0x6d67, 1] as const; // 'mg', 1: one applier per target database
const RETRYABLE = new Set(['55P03', '40P01']); // lock_not_available, deadlock_detected

/** A PostgreSQL error as the user sees it, with file:line:column. */
export type PgErrorInfo = PgErrorView;

export interface FileResult {
  readonly id: string;
  readonly statements: number;
  readonly durationMs: number;
  readonly lockRetries: number;
  /** Set when the file ran statement by statement outside a transaction, and why. */
  readonly outsideTransaction?: string;
}

export interface FileFailure extends FileResult {
  readonly error: PgErrorInfo;
  /** Statements that ran and stay applied (only for files outside a transaction). */
  readonly statementsKept: number;
}

export type ApplyOutcome =
  | { ok: true; applied: FileResult[]; diff: SnapshotDiff; before: CountsSource; after: CountsSource }
  | {
      ok: false;
      kind: 'drift' | 'failed' | 'invalid' | 'busy';
      message: string;
      drift?: Drift[];
      applied: FileResult[];
      failure?: FileFailure;
      diff?: SnapshotDiff;
      before?: CountsSource;
      after?: CountsSource;
    };

type CountsSource = Awaited<ReturnType<typeof takeSnapshot>>;

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

export async function ensureLedger(client: pg.ClientBase): Promise<void> {
  await client.query(`create schema if not exists ${LEDGER_SCHEMA};
    create table if not exists ${LEDGER_SCHEMA}.applied_migrations (
      id text primary key, version text not null, checksum text not null,
      applied_at timestamptz not null default now(), applied_by text, run_id integer,
      duration_ms integer not null, statements integer not null, outside_transaction text);
    create table if not exists ${LEDGER_SCHEMA}.rolled_back_migrations (
      id text not null, version text not null, checksum text not null, applied_at timestamptz not null,
      rolled_back_at timestamptz not null default now(), rolled_back_by text, run_id integer,
      reason text, duration_ms integer not null)`);
}

export async function readLedger(client: pg.ClientBase): Promise<LedgerEntry[]> {
  const exists = await client.query(
    `select to_regclass('${LEDGER_SCHEMA}.applied_migrations') is not null as e`,
  );
  if (!exists.rows[0]?.e) return [];
  const r = await client.query<LedgerEntry>(
    `select id, version, checksum, to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') as "appliedAt",
            applied_by as "appliedBy", run_id as "runId"
     from ${LEDGER_SCHEMA}.applied_migrations order by version`,
  );
  return r.rows;
}

/** Hold the per-target applier lock for `fn`, or say who holds it. */
export async function withAdvisoryLock<T>(
  client: pg.ClientBase,
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  const got = await client.query('select pg_try_advisory_lock($1, $2) as ok', [...LOCK_KEY]);
  if (!got.rows[0]?.ok) {
    const holder = await client.query(
      `select a.pid, a.application_name, a.backend_start from pg_locks l join pg_stat_activity a on a.pid = l.pid
       where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.granted limit 1`,
      [...LOCK_KEY],
    );
    const h = holder.rows[0];
    return {
      ok: false,
      message: `Another applier holds the migration lock on this database${h ? ` (pid ${h.pid}, application "${h.application_name}")` : ''}. Wait for it to finish, then run again.`,
    };
  }
  try {
    return { ok: true, value: await fn() };
  } finally {
    await client.query('select pg_advisory_unlock($1, $2)', [...LOCK_KEY]).catch(() => {});
  }
}

function toPgError(e: unknown, file: MigrationFile, st: Statement | undefined, index: number): PgErrorInfo {
  const err = e as pg.DatabaseError;
  const pos = err.position ? Number(err.position) : undefined;
  const at = st && pos ? lineColAt(file.text, st.charStart + pos - 1) : (st?.at ?? { line: 1, column: 1 });
  return {
    code: err.code,
    message: err.message,
    detail: err.detail,
    hint: err.hint,
    where: err.where,
    file: file.fileName,
    line: at.line,
    column: at.column,
    statement: st ? index + 1 : undefined,
  };
}

const LEDGER_INSERT = `insert into ${LEDGER_SCHEMA}.applied_migrations
  (id, version, checksum, applied_by, run_id, duration_ms, statements, outside_transaction)
  values ($1, $2, $3, $4, $5, $6, $7, $8)`;

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
      await record(client, { durationMs, statements: statements.length, outside: null });
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
    await record(client, { durationMs, statements: statements.length, outside: reason });
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

/**
 * Writes what a file did to the ledger, in the file's own transaction (or right after its last statement
 * for files that run outside one).
 */
export type Recorder = (
  client: pg.ClientBase,
  r: { durationMs: number; statements: number; outside: string | null },
) => Promise<unknown>;

const recordApplied =
  (file: MigrationFile, ctx: ApplyContext): Recorder =>
  (client, r) =>
    client.query(LEDGER_INSERT, [
      file.id,
      file.version,
      file.checksum,
      ctx.appliedBy,
      ctx.runId,
      r.durationMs,
      r.statements,
      r.outside,
    ]);

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

/** Apply every pending file up to and including `uptoId` on one target, under the applier lock. */
export async function applyMigrations(
  env: ApplySettings,
  files: readonly MigrationFile[],
  uptoId: string,
  ctx: ApplyContext,
): Promise<ApplyOutcome> {
  await loadParser();
  // Migration files are sent as written (no marker): PostgreSQL's error positions must match the file.
  return withTargetClient(
    env,
    ctx.footprints,
    async (client) => {
      const versionNum = await serverVersionNum(client);
      const locked = await withAdvisoryLock(client, async (): Promise<ApplyOutcome> => {
        await ensureLedger(client);
        const plan = planPending(files, await readLedger(client), uptoId);
        if (plan.drift.length)
          return {
            ok: false,
            kind: 'drift',
            message: 'Applied files changed since they were applied.',
            drift: plan.drift,
            applied: [],
          };
        const now = plan.pending.map((f) => f.id);
        if (ctx.expected && now.join('\n') !== ctx.expected.join('\n'))
          return {
            ok: false,
            kind: 'invalid',
            message: `The files pending here changed since preflight listed them (${ctx.expected.join(', ') || 'none'}; now ${now.join(', ') || 'none'}): nothing was applied, since that is not what was approved. Start a new run.`,
            applied: [],
          };
        // Parse every pending file before touching anything: a bad file stops the run with nothing applied.
        const parsed: { file: MigrationFile; statements: Statement[] }[] = [];
        for (const file of plan.pending) {
          const split = splitStatements(file.text, versionNum);
          const problems = split.ok
            ? statementProblems(split.statements).map((p) => `${file.fileName} ${p}`)
            : [`${file.fileName}:${split.at.line}:${split.at.column}: ${split.message}`];
          if (!split.ok || problems.length)
            return { ok: false, kind: 'invalid', message: problems.join('; '), applied: [] };
          parsed.push({ file, statements: split.statements });
        }
        const before = await takeSnapshot(client);
        const applied: FileResult[] = [];
        for (const { file, statements } of parsed) {
          const r = await applyFile(client, env, file, statements, ctx);
          if (isFailure(r)) {
            const after = await takeSnapshot(client);
            return {
              ok: false,
              kind: 'failed',
              message: `${file.fileName} failed.`,
              applied,
              failure: r,
              diff: diffSnapshots(before, after),
              before,
              after,
            };
          }
          applied.push(r);
        }
        const after = await takeSnapshot(client);
        return { ok: true, applied, diff: diffSnapshots(before, after), before, after };
      });
      return locked.ok ? locked.value : { ok: false, kind: 'busy', message: locked.message, applied: [] };
    },
    { mark: false },
  );
}
