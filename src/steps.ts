/** The work behind each step of a run: talks to the target, returns what it measured. */

import type { DeployConfig, Environment } from './config.js';
import {
  countSnapshot,
  isEmptyDiff,
  notableChanges,
  summarizeCounts,
  summarizeDiff,
  touchedTables,
} from './deploy/diff.js';
import { durationText } from './deploy/duration-text.js';
import { describeUnfinished } from './deploy/foreign-ledger.js';
import { describeLayout } from './deploy/layouts/detect.js';
import { checksumChanges, describeDrift, planPending } from './deploy/ledger.js';
import { blockedBy, blocks } from './deploy/lint.js';
import { emptyPreflight, noFileDone, preflightFailed, toApply } from './deploy/outcomes.js';
import type { ApplyResult, PreflightResult, StepOutcome } from './deploy/results.js';
import { lintMigrations } from './lint/lint-files.js';
import { applyMigrations, type OnLockWait } from './target/apply.js';
import { serverVersionNum, withTargetClient } from './target/client.js';
import { describeTargetError } from './target/connect-errors.js';
import { discoverMigrations } from './target/files.js';
import type { Footprints } from './target/footprint.js';
import { readLedgers } from './target/foreign-ledgers.js';
import { readSizes } from './target/lock-trace.js';
import { rowCountsBefore } from './target/rows-before.js';
import { sampleSources } from './target/signals.js';
import { snapshotDigest, takeSnapshot } from './target/snapshot.js';
import { loadParser, splitStatements, statementProblems, statementsToRun } from './target/sql.js';
import { metricsFor } from './targets.js';
import { checksFor, rowsUnchangedTables } from './verification.js';

export async function runPreflight(
  deploy: DeployConfig,
  env: Environment,
  migrationId: string,
  run: { id: number; checksums: Readonly<Record<string, string>> },
  footprints: Footprints,
  /** Tables an earlier environment's lock trace names: their sizes here go on the approval card. */
  sizeOf: readonly string[] = [],
): Promise<StepOutcome<PreflightResult>> {
  const empty = emptyPreflight(env.name);
  const fail = (problem: string, extra: Partial<PreflightResult> = {}) =>
    preflightFailed(env.name, problem, extra);
  const { migrations, problems, layout } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  if (problems.length)
    return fail(`The migrations folder has files with bad names: ${problems.join('; ')}`, {
      layout: describeLayout(layout),
    });
  const changed = checksumChanges(migrations, run.checksums, run.id);
  if (changed.length) return fail(changed.join(' '));
  await loadParser();
  const started = performance.now();
  try {
    const outcome = await withTargetClient(
      env,
      footprints,
      async (client) => {
        const connectMs = Math.round(performance.now() - started);
        const versionNum = await serverVersionNum(client);
        const serverVersion = (
          await client.query<{ v: string }>("select current_setting('server_version') as v")
        ).rows[0]!.v;
        const ledgers = await readLedgers(client, migrations);
        const plan = planPending(migrations, ledgers.own, migrationId, ledgers.foreign);
        const base = {
          ...(plan.recordedBy ? { recordedBy: plan.recordedBy } : {}),
          layout: describeLayout(layout),
          connectMs,
          serverVersion,
          unknown: plan.unknown.map((u) => u.id),
          outOfOrder: plan.outOfOrder,
        };
        if (plan.unfinished.length)
          return fail(plan.unfinished.map((u) => describeUnfinished(u, env.name)).join(' '), base);
        const pending: PreflightResult['pending'] = [];
        for (const f of plan.pending) {
          const split = splitStatements(f.text, versionNum);
          if (!split.ok)
            return fail(
              `${f.fileName}:${split.at.line}:${split.at.column}: ${split.message}. Fix the SQL and run again.`,
              {
                ...base,
                parseError: { code: '42601', message: split.message, file: f.fileName, ...split.at },
              },
            );
          const bad = statementProblems(split.statements, f);
          if (bad.length) return fail(`${f.fileName}: ${bad.join('; ')}`, base);
          const toRun = statementsToRun(split.statements, f);
          const outside = toRun.find((s) => s.noTransaction)?.noTransaction;
          pending.push({
            id: f.id,
            file: f.fileName,
            checksum: f.checksum,
            statements: toRun.length,
            outsideTransaction: outside,
          });
        }
        if (plan.drift.length)
          return fail(plan.drift.map((d) => describeDrift(d, env.name)).join(' '), {
            ...base,
            pending,
            drift: plan.drift,
          });
        // The checks verify will run must be valid now, before anything is applied.
        const toVerify = migrations.filter(
          (m) => m.id === migrationId || plan.pending.some((p) => p.id === m.id),
        );
        const checks = await checksFor(env, toVerify);
        if (!checks.ok)
          return fail(
            `Check files are not valid, so nothing was applied: ${checks.problems.join('; ')}`,
            base,
          );
        // Lint the files that will run (docs/lint.md): an error no allow lets through stops the run here.
        const lint = pending.length ? await lintMigrations(plan.pending, deploy.lint, versionNum) : undefined;
        if (lint && blocks(lint)) return fail(blockedBy(lint), { ...base, pending, lint });
        const snapshot = await takeSnapshot(client);
        const counts = countSnapshot(snapshot);
        const rowCounts = await rowCountsBefore(client, snapshot, rowsUnchangedTables(checks.checks));
        const alreadyApplied = pending.length === 0;
        const relationSizes = sizeOf.length ? await readSizes(client, sizeOf) : undefined;
        return {
          ok: true,
          summary: alreadyApplied ? `nothing to apply on ${env.name}` : toApply(pending.map((p) => p.id)),
          result: {
            ...empty,
            ...base,
            ok: true,
            pending,
            counts,
            alreadyApplied,
            rowCounts,
            checks: checks.checks.length,
            ...(lint ? { lint } : {}),
            ...(relationSizes ? { relationSizes } : {}),
          },
        } satisfies StepOutcome<PreflightResult>;
      },
      { mark: true, deep: footprints.measure },
    );
    // The baseline monitoring compares with, read in its own session once this one's footprint is recorded.
    if (!outcome.ok || !env.monitor) return outcome;
    const metricsBaseline = await sampleSources(
      env,
      footprints,
      // A watched check has no baseline: it passes or fails.
      metricsFor(deploy, env.service)
        .map((m) => m.source)
        .filter((s) => s.kind !== 'check'),
      [],
      () => new Date().toISOString(),
      { strict: true },
    );
    return { ...outcome, result: { ...outcome.result, metricsBaseline } };
  } catch (e) {
    return fail(describeTargetError(env, e));
  }
}

export async function runApply(
  deploy: DeployConfig,
  env: Environment,
  migrationId: string,
  ctx: {
    runId: number;
    appliedBy: string;
    checksums: Readonly<Record<string, string>>;
    footprints: Footprints;
    /** The ids preflight found pending here, which the approval card listed. */
    expected?: readonly string[];
    /** Told each time a lock attempt gives up (the thread's lock notice, the held card's sentence). */
    onLockWait?: OnLockWait;
  },
): Promise<StepOutcome<ApplyResult>> {
  const { migrations } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  const changed = checksumChanges(migrations, ctx.checksums, ctx.runId);
  if (changed.length) {
    const problem = changed.join(' ');
    return noFileDone(env.name, problem);
  }
  let outcome: Awaited<ReturnType<typeof applyMigrations>>;
  try {
    outcome = await applyMigrations(env, migrations, migrationId, ctx);
  } catch (e) {
    const problem = describeTargetError(env, e);
    return noFileDone(env.name, problem);
  }
  // Every name is kept: the thread shows the first few of each list, the run report all of them.
  const changes = outcome.diff && notableChanges(outcome.diff, Number.POSITIVE_INFINITY);
  const diffSummary = outcome.diff && summarizeDiff(outcome.diff);
  const countsSummary =
    outcome.before && outcome.after
      ? summarizeCounts(countSnapshot(outcome.before), countSnapshot(outcome.after))
      : undefined;
  const totalMs = outcome.applied.reduce((t, f) => t + f.durationMs, 0);
  if (outcome.ok) {
    const summary =
      outcome.applied.length === 0
        ? 'nothing to apply'
        : `${durationText(totalMs)} (${diffSummary ?? 'no schema change'})`;
    return {
      ok: true,
      summary,
      result: {
        env: env.name,
        ok: true,
        files: outcome.applied,
        diffSummary,
        countsSummary,
        changes,
        catalogBefore: { digest: snapshotDigest(outcome.before), counts: countSnapshot(outcome.before) },
        touchedTables: touchedTables(outcome.diff),
      },
    };
  }
  const failure = outcome.failure;
  const reason = failure
    ? `${failure.error.file}:${failure.error.line}:${failure.error.column}: ${failure.error.code ?? ''} ${failure.error.message}`.replace(
        /\s+/g,
        ' ',
      )
    : outcome.drift
      ? outcome.drift.map((d) => describeDrift(d, env.name)).join(' ')
      : outcome.message;
  return {
    ok: false,
    summary: 'failed',
    reason,
    result: {
      env: env.name,
      ok: false,
      files: outcome.applied,
      failure,
      diffSummary,
      countsSummary,
      changes,
      catalogUnchanged: outcome.diff ? isEmptyDiff(outcome.diff) : undefined,
      problem: failure ? undefined : reason,
      drift: outcome.drift,
    },
  };
}
