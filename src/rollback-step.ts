/** The rollback step: undo, through the down files the run was bound to, what this run applied on an environment. */

import type { DeployConfig, Environment } from './config.js';
import { countSnapshot, summarizeCounts } from './deploy/diff.js';
import { durationText } from './deploy/duration-text.js';
import { checksumChanges } from './deploy/ledger.js';
import { noFileDone } from './deploy/outcomes.js';
import type { AppliedFile, ApplyResult, RollbackResult, StepOutcome } from './deploy/results.js';
import { boundDowns, describeRollback, downFileNames, planRollback } from './deploy/rollback-plan.js';
import { describeTargetError } from './target/connect-errors.js';
import { discoverMigrations } from './target/files.js';
import type { Footprints } from './target/footprint.js';
import { rollbackMigrations } from './target/rollback.js';
import { snapshotDigest } from './target/snapshot.js';

const view = (f: {
  id: string;
  statements: number;
  durationMs: number;
  lockRetries: number;
  outsideTransaction?: string;
  lockWaits?: AppliedFile['lockWaits'];
}): AppliedFile => ({
  id: f.id,
  statements: f.statements,
  durationMs: f.durationMs,
  lockRetries: f.lockRetries,
  outsideTransaction: f.outsideTransaction,
  lockWaits: f.lockWaits,
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
  const found = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  const all = found.migrations.filter((m) => ids.includes(m.id));
  // Exactly what the rollback card promised: the newest files that have down files.
  const plan = planRollback(
    ids,
    boundDowns(ctx.checksums, (id) => !!all.find((m) => m.id === id)?.downPath),
    downFileNames(found),
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
  if (edited.length) return noFileDone(env.name, edited.join(' '));
  if (!files.length) {
    const problem = describeRollback(plan, env.name);
    return noFileDone(env.name, problem);
  }
  let outcome: Awaited<ReturnType<typeof rollbackMigrations>>;
  try {
    outcome = await rollbackMigrations(env, files, {
      runId: ctx.runId,
      appliedBy: ctx.by,
      reason: ctx.reason,
      footprints: ctx.footprints,
      folder: discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout).migrations,
      layout: found.layout.name,
    });
  } catch (e) {
    const problem = describeTargetError(env, e);
    return noFileDone(env.name, problem);
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
    summary: `${outcome.rolledBack.length === 1 ? '1 file' : `${outcome.rolledBack.length} files`} undone in ${durationText(ms)}${plan.keep.length ? `, ${plan.keep.length} kept` : ''}${restored === true ? ', catalog restored' : restored === false ? ', catalog differs' : ''}`,
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
