/** The verify and rollback steps, and the checks a run owes an environment. */

import type { DeployConfig, Environment } from './config.js';
import { failed, skippedOnCommand, skippedOutsideRun } from './deploy/check-results.js';
import { type Check, type CheckResult, summarize } from './deploy/checks.js';
import { countSnapshot, summarizeCounts } from './deploy/diff.js';
import { checksumChanges } from './deploy/ledger.js';
import type {
  AppliedFile,
  ApplyResult,
  PreflightResult,
  RollbackResult,
  VerifyResult,
} from './deploy/results.js';
import { boundDowns, describeRollback, planRollback } from './deploy/rollback-plan.js';
import type { StepOutcome } from './steps.js';
import { runChecks } from './target/checks.js';
import { withTargetClient } from './target/client.js';
import { describeTargetError } from './target/connect-errors.js';
import {
  checkStatementProblems,
  discoverMigrations,
  loadChecks,
  type MigrationFile,
} from './target/files.js';
import type { Footprints } from './target/footprint.js';
import { rollbackMigrations } from './target/rollback.js';
import { snapshotDigest } from './target/snapshot.js';

/** The checks of these migrations plus the environment's own; bad check files are reported, not skipped. */
export async function checksFor(
  env: Environment,
  migrations: readonly MigrationFile[],
): Promise<{ ok: true; checks: Check[] } | { ok: false; problems: string[] }> {
  const checks: Check[] = [];
  const problems: string[] = [];
  for (const m of migrations) {
    const loaded = await loadChecks(m);
    if (loaded.ok) checks.push(...loaded.checks);
    else problems.push(...loaded.problems);
  }
  problems.push(...(await checkStatementProblems(env.checks)));
  if (problems.length) return { ok: false, problems };
  return { ok: true, checks: [...checks, ...env.checks] };
}

/** Tables whose exact row counts preflight must record for rows_unchanged (true: every table). */
export function rowsUnchangedTables(checks: readonly Check[]): string[] | true {
  const lists = checks.flatMap((c) => (c.plan.kind === 'rows_unchanged' ? [c.plan.tables] : []));
  if (lists.includes(true)) return true;
  return [...new Set(lists.flat() as string[])];
}

/** The part of a run's checksums that concerns `files` (their SQL and their checks files). */
function boundTo(checksums: Readonly<Record<string, string>>, files: readonly MigrationFile[]) {
  const keys = new Set(files.flatMap((f) => [f.id, `${f.id}.checks.yml`]));
  return Object.fromEntries(Object.entries(checksums).filter(([k]) => keys.has(k)));
}

/** The migrations a verify step checks: the run's target, and every file this run applied here. */
export function migrationsToVerify(
  deploy: DeployConfig,
  target: string,
  applied: readonly string[],
): MigrationFile[] {
  const all = discoverMigrations(deploy.migrationsDir).migrations;
  const wanted = new Set([target, ...applied]);
  return all.filter((m) => wanted.has(m.id));
}

export async function runVerify(
  env: Environment,
  migrations: readonly MigrationFile[],
  /** The run's preflight here; undefined outside a run (on command, from the CLI). */
  preflight: PreflightResult | undefined,
  footprints: Footprints,
  /** In a run: the checksums it is bound to. A migration or checks file that changed since is refused. */
  bound?: { readonly runId: number; readonly checksums: Readonly<Record<string, string>> },
  /** Asked for by a person (slash verify, Run verification, the CLI), not a run's verify step. */
  onCommand = false,
): Promise<StepOutcome<VerifyResult>> {
  const started = performance.now();
  const changed = bound ? checksumChanges(migrations, boundTo(bound.checksums, migrations), bound.runId) : [];
  const found = changed.length ? undefined : await checksFor(env, migrations);
  if (!found?.ok) {
    const problem = found ? `Check files are not valid: ${found.problems.join('; ')}` : changed.join(' ');
    return {
      ok: false,
      summary: 'invalid checks',
      reason: problem,
      result: { env: env.name, ok: false, results: [], summary: summarize([]), durationMs: 0, problem },
    };
  }
  // Outside a run there is no preflight: checks that need one are shown skipped, with why, and never sent.
  const outsideRun = preflight === undefined;
  const skipped = found.checks.map(
    (c) =>
      (outsideRun ? skippedOutsideRun(c) : undefined) ??
      (onCommand && !env.onDemandWrites ? skippedOnCommand(c, env.name) : undefined),
  );
  let results: CheckResult[];
  try {
    const ran = await runChecks(
      env.databaseUrl,
      found.checks.filter((_, i) => !skipped[i]),
      {
        footprints,
        baselineRowCounts: preflight?.rowCounts,
        defaultTimeoutMs: Math.min(env.statementTimeoutMs, 60_000),
      },
    );
    results = skipped.map((r) => r ?? ran.shift()!);
    // Each check connects on its own and a failed connect reads as that check's error: when any check errored,
    // one connection says whether the target itself is unreachable (one sentence, never its host or user).
    if (results.some((r) => r.status === 'error'))
      await withTargetClient(env, footprints, async () => {}, { mark: true });
  } catch (e) {
    const problem = describeTargetError(env, e);
    return {
      ok: false,
      summary: 'failed',
      reason: problem,
      result: { env: env.name, ok: false, results: [], summary: summarize([]), durationMs: 0, problem },
    };
  }
  const s = summarize(results);
  const ok = s.blockersFailed === 0;
  const summary = `${s.passed}/${s.total}${s.warnings ? `, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}` : ''}${s.skipped ? `, ${s.skipped} skipped` : ''}`;
  const blockers = results.filter((r) => failed(r) && r.severity === 'blocker').map((r) => r.name);
  return {
    ok,
    summary,
    reason: ok ? undefined : `Verification failed on ${env.name}: ${blockers.join(', ')}.`,
    result: {
      env: env.name,
      ok,
      results,
      summary: s,
      durationMs: Math.round(performance.now() - started),
      ...(outsideRun ? { outsideRun } : {}),
    },
  };
}

const view = (f: {
  id: string;
  statements: number;
  durationMs: number;
  lockRetries: number;
  outsideTransaction?: string;
}): AppliedFile => ({
  id: f.id,
  statements: f.statements,
  durationMs: f.durationMs,
  lockRetries: f.lockRetries,
  outsideTransaction: f.outsideTransaction,
});

export async function runRollback(
  deploy: DeployConfig,
  env: Environment,
  apply: ApplyResult | undefined,
  ctx: {
    runId: number;
    by: string;
    reason: string;
    footprints: Footprints;
    /** The run's bound checksums: only down files it started with run, unchanged. */
    checksums: Readonly<Record<string, string>>;
  },
): Promise<StepOutcome<RollbackResult>> {
  const ids = apply?.files.map((f) => f.id) ?? [];
  const all = discoverMigrations(deploy.migrationsDir).migrations.filter((m) => ids.includes(m.id));
  // Exactly what the rollback card promised: the newest files that have down files.
  const plan = planRollback(
    ids,
    boundDowns(ctx.checksums, (id) => !!all.find((m) => m.id === id)?.downPath),
  );
  const files = all.filter((m) => plan.undo.includes(m.id));
  // A down file edited since the run started is not the rollback anyone approved.
  const bound = Object.fromEntries(
    files.flatMap((f) => {
      const key = `${f.id}.down.sql`;
      return ctx.checksums[key] ? [[key, ctx.checksums[key]]] : [];
    }),
  );
  const edited = checksumChanges(files, bound, ctx.runId);
  if (edited.length)
    return {
      ok: false,
      summary: 'failed',
      reason: edited.join(' '),
      result: { env: env.name, ok: false, files: [], problem: edited.join(' ') },
    };
  if (!files.length) {
    const problem = describeRollback(plan, env.name);
    return {
      ok: false,
      summary: 'failed',
      reason: problem,
      result: { env: env.name, ok: false, files: [], problem },
    };
  }
  let outcome: Awaited<ReturnType<typeof rollbackMigrations>>;
  try {
    outcome = await rollbackMigrations(env, files, {
      runId: ctx.runId,
      appliedBy: ctx.by,
      reason: ctx.reason,
      footprints: ctx.footprints,
    });
  } catch (e) {
    const problem = describeTargetError(env, e);
    return {
      ok: false,
      summary: 'failed',
      reason: problem,
      result: { env: env.name, ok: false, files: [], problem },
    };
  }
  if (!outcome.ok) {
    const f = outcome.failure;
    const reason = f
      ? `${f.error.file}:${f.error.line}:${f.error.column}: ${f.error.code ?? ''} ${f.error.message}`
      : outcome.message;
    return {
      ok: false,
      summary: 'failed',
      reason: `Rollback failed: ${reason}`,
      result: {
        env: env.name,
        ok: false,
        files: outcome.rolledBack.map(view),
        failure: f && { ...view(f), error: f.error, statementsKept: f.statementsKept },
        problem: f ? undefined : outcome.message,
      },
    };
  }
  // With files kept applied, the catalog cannot equal the one before apply: nothing to compare.
  const restored =
    apply?.catalogBefore && !plan.keep.length
      ? snapshotDigest(outcome.after) === apply.catalogBefore.digest
      : undefined;
  const countsSummary = apply?.catalogBefore
    ? summarizeCounts(apply.catalogBefore.counts, countSnapshot(outcome.after))
    : undefined;
  const ms = outcome.rolledBack.reduce((t, f) => t + f.durationMs, 0);
  return {
    ok: true,
    summary: `${outcome.rolledBack.length === 1 ? '1 file' : `${outcome.rolledBack.length} files`} undone in ${ms} ms${plan.keep.length ? `, ${plan.keep.length} kept` : ''}${restored === true ? ', catalog restored' : restored === false ? ', catalog differs' : ''}`,
    result: {
      env: env.name,
      ok: true,
      files: outcome.rolledBack.map(view),
      catalogRestored: restored,
      countsSummary,
      ...(plan.keep.length ? { kept: [...plan.keep], note: describeRollback(plan, env.name) } : {}),
    },
  };
}
