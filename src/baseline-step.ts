/**
 * A baseline run's work: its preflight (which files up to the migration no ledger on the environment records,
 * drift and unfinished migrations refused) and its baseline step (those files marked applied, not run).
 */
import type { DeployConfig, Environment } from './config.js';
import { type BaselineResult, baselinedSummary, toBaseline } from './deploy/baseline.js';
import { describeUnfinished } from './deploy/foreign-ledger.js';
import { describeLayout } from './deploy/layouts/detect.js';
import { checksumChanges, describeDrift, planPending } from './deploy/ledger.js';
import { emptyPreflight, noFileDone, preflightFailed } from './deploy/outcomes.js';
import type { PreflightResult, StepOutcome } from './deploy/results.js';
import { markBaselined } from './target/baseline.js';
import { serverVersionNum, withTargetClient } from './target/client.js';
import { describeTargetError } from './target/connect-errors.js';
import { discoverMigrations } from './target/files.js';
import type { Footprints } from './target/footprint.js';
import { readLedgers } from './target/foreign-ledgers.js';

/** What a baseline would mark on `env`: the files up to `migrationId` that no ledger there records. */
export async function runBaselinePreflight(
  deploy: DeployConfig,
  env: Environment,
  migrationId: string,
  run: { id: number; checksums: Readonly<Record<string, string>> },
  footprints: Footprints,
): Promise<StepOutcome<PreflightResult>> {
  const empty = emptyPreflight(env.name);
  const fail = (problem: string, extra: Partial<PreflightResult> = {}) =>
    preflightFailed(env.name, problem, extra);
  const { migrations, problems, layout } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  if (problems.length) return fail(`The migrations folder has files with bad names: ${problems.join('; ')}`);
  const changed = checksumChanges(migrations, run.checksums, run.id);
  if (changed.length) return fail(changed.join(' '));
  const started = performance.now();
  try {
    return await withTargetClient(env, footprints, async (client) => {
      const connectMs = Math.round(performance.now() - started);
      await serverVersionNum(client);
      const serverVersion = (await client.query<{ v: string }>('show server_version')).rows[0]!.v;
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
      // Nothing runs, so nothing is parsed: the files are only named in the ledger.
      const pending = plan.pending.map((f) => ({
        id: f.id,
        file: f.fileName,
        checksum: f.checksum,
        statements: 0,
      }));
      if (plan.drift.length)
        return fail(plan.drift.map((d) => describeDrift(d, env.name)).join(' '), {
          ...base,
          pending,
          drift: plan.drift,
        });
      const alreadyApplied = pending.length === 0;
      return {
        ok: true,
        summary: alreadyApplied ? `nothing to baseline on ${env.name}` : toBaseline(pending.map((p) => p.id)),
        result: { ...empty, ...base, ok: true, pending, alreadyApplied },
      };
    });
  } catch (e) {
    return fail(describeTargetError(env, e));
  }
}

/** Mark the files preflight listed as applied on `env`, without running them. */
export async function runBaseline(
  deploy: DeployConfig,
  env: Environment,
  migrationId: string,
  ctx: {
    runId: number | null;
    by: string;
    checksums: Readonly<Record<string, string>>;
    footprints: Footprints;
    expected?: readonly string[];
  },
): Promise<StepOutcome<BaselineResult>> {
  const failed = (problem: string): StepOutcome<BaselineResult> => noFileDone(env.name, problem);
  const { migrations } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  const changed = checksumChanges(migrations, ctx.checksums, ctx.runId ?? 0);
  if (changed.length) return failed(changed.join(' '));
  try {
    const r = await markBaselined(env, migrations, migrationId, ctx);
    if (!r.ok) return failed(r.drift ? r.drift.map((d) => describeDrift(d, env.name)).join(' ') : r.message);
    return {
      ok: true,
      summary: baselinedSummary(r.files.length),
      result: {
        env: env.name,
        ok: true,
        files: r.files.map((f) => ({ id: f.id, checksum: f.checksum })),
        ...(r.foreign.length ? { foreign: r.foreign } : {}),
      },
    };
  } catch (e) {
    return failed(describeTargetError(env, e));
  }
}
