/** The verify and rollback steps, and the checks a run owes an environment. */

import type { DeployConfig, Environment } from './config.js';
import { addUrl } from './config-signals.js';
import { failed, skippedOnCommand, skippedOutsideRun } from './deploy/check-results.js';
import type { Check } from './deploy/check-schema.js';
import { type CheckResult, summarize } from './deploy/checks.js';
import { checksumChanges } from './deploy/ledger.js';
import type { PreflightResult, StepOutcome, VerifyResult } from './deploy/results.js';
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
  problems.push(...unknownUrls(env, [...checks, ...env.checks]));
  if (problems.length) return { ok: false, problems };
  return { ok: true, checks: [...checks, ...env.checks] };
}

/** http checks that name a URL the environment does not define in deploy.yml's urls:. */
function unknownUrls(env: Environment, checks: readonly Check[]): string[] {
  return checks.flatMap((c) =>
    c.plan.kind === 'http' && !env.urls?.[c.plan.url]
      ? [
          `${c.source} \`${c.name}\`: http.url names ${c.plan.url}, which ${env.name} does not define; ${addUrl(env.name, c.plan.url)}`,
        ]
      : [],
  );
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
  const all = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout).migrations;
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
        urls: env.urls,
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
