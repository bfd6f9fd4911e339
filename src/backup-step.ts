/**
 * The backup step (before apply) and the restore step (after a rollback that offered it): what they copy or put
 * back on the target, and the outcome stored with the step. Both run on one tracked connection, so their reads and
 * copies never count in the figures monitoring reports (target/footprint.ts).
 */
import type { DeployConfig, Environment } from './config.js';
import { mergeTouched, touchedTables } from './deploy/backup-plan.js';
import {
  type BackedUpTable,
  type BackupResult,
  backupSummary,
  type RestoreResult,
  restorable,
  restoreSummary,
} from './deploy/backups.js';
import { checksumChanges } from './deploy/ledger.js';
import type { StepOutcome } from './deploy/results.js';
import { parseMigration } from './lint/parse.js';
import { backupTables } from './target/backup.js';
import { withTargetClient } from './target/client.js';
import { connectFailureOf, describeTargetError } from './target/connect-errors.js';
import { discoverMigrations } from './target/files.js';
import type { Footprints } from './target/footprint.js';
import { RestoreRefused, restoreTables } from './target/restore.js';
import { loadParser } from './target/sql.js';

interface PgLike {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
}

/** A PostgreSQL error in a sentence: code, message, detail and hint (never where the database is). */
function describeFailure(env: Environment, what: string, e: unknown): string {
  const err = (e ?? {}) as PgLike;
  if (connectFailureOf(e) || typeof err.code !== 'string' || !/^[0-9A-Z]{5}$/.test(err.code))
    return describeTargetError(env, e);
  describeTargetError(env, e); // published for the log
  const detail = typeof err.detail === 'string' && err.detail ? ` Detail: ${err.detail}` : '';
  const hint = typeof err.hint === 'string' && err.hint ? ` Hint: ${err.hint}` : '';
  return `${what} on ${env.name} failed: ${err.code} ${String(err.message)}.${detail}${hint}`.replace(
    /\.\./g,
    '.',
  );
}

const failed = <R>(result: R, problem: string): StepOutcome<R> => ({
  ok: false,
  summary: 'failed',
  reason: problem,
  result,
});

/**
 * Copy the tables the run's pending files (`pending`, as preflight found them) alter, drop, truncate, update or
 * delete from into migration_gate_backup, as `run<id>_<table>`.
 */
export async function runBackup(
  deploy: DeployConfig,
  env: Environment,
  ctx: {
    runId: number;
    checksums: Readonly<Record<string, string>>;
    footprints: Footprints;
    pending: readonly string[];
  },
): Promise<StepOutcome<BackupResult>> {
  const started = performance.now();
  const empty: BackupResult = { env: env.name, ok: false, tables: [], skipped: [], durationMs: 0 };
  const fail = (problem: string) =>
    failed({ ...empty, problem, durationMs: Math.round(performance.now() - started) }, problem);
  const { migrations } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  const changed = checksumChanges(migrations, ctx.checksums, ctx.runId);
  if (changed.length) return fail(changed.join(' '));
  await loadParser();
  const sets = [];
  for (const f of migrations.filter((m) => ctx.pending.includes(m.id))) {
    const parsed = parseMigration(f.text);
    if (!parsed.ok)
      return fail(
        `${f.fileName}:${parsed.at.line}:${parsed.at.column}: ${parsed.message}. Nothing was copied.`,
      );
    sets.push(touchedTables(parsed.file.statements));
  }
  const touched = mergeTouched(sets);
  try {
    const copied =
      touched.tables.length || touched.schemas.length
        ? await withTargetClient(
            env,
            ctx.footprints,
            (client) =>
              backupTables(client, touched, {
                runId: ctx.runId,
                settings: env.settings,
                lockTimeoutMs: env.lockTimeoutMs,
                statementTimeoutMs: env.statementTimeoutMs,
              }),
            // The copies scan the tables monitoring may count: read what they scanned before each commit.
            { mark: true, deep: ctx.footprints.measure },
          )
        : { tables: [], skipped: [] };
    const result: BackupResult = {
      env: env.name,
      ok: true,
      tables: copied.tables,
      skipped: copied.skipped,
      durationMs: Math.round(performance.now() - started),
    };
    return { ok: true, summary: backupSummary(result), result };
  } catch (e) {
    return fail(`${describeFailure(env, 'The backup', e)} Nothing was copied and nothing was applied.`);
  }
}

/** Put back, from `backup`, what the rollback's down files could not. */
export async function runRestore(
  env: Environment,
  backup: BackupResult | undefined,
  footprints: Footprints,
): Promise<StepOutcome<RestoreResult>> {
  const started = performance.now();
  const tables: BackedUpTable[] = restorable(backup);
  const done = (ok: boolean, restored: RestoreResult['tables'], problem?: string): RestoreResult => ({
    env: env.name,
    ok,
    tables: restored,
    durationMs: Math.round(performance.now() - started),
    ...(problem ? { problem } : {}),
  });
  if (!tables.length) {
    const problem = `This run has no backup on ${env.name} with anything to restore.`;
    return failed(done(false, [], problem), problem);
  }
  try {
    const restored = await withTargetClient(
      env,
      footprints,
      (client) =>
        restoreTables(client, tables, {
          settings: env.settings,
          lockTimeoutMs: env.lockTimeoutMs,
          statementTimeoutMs: env.statementTimeoutMs,
        }),
      { mark: true, deep: footprints.measure },
    );
    const result = done(true, restored);
    return { ok: true, summary: restoreSummary(result), result };
  } catch (e) {
    const problem =
      e instanceof RestoreRefused
        ? e.message
        : `${describeFailure(env, 'The restore', e)} Nothing was restored (it runs in one transaction).`;
    return failed(done(false, [], problem), problem);
  }
}
