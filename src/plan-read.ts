/**
 * `migration-gate plan`'s reading: the target's ledgers through the same planPending the bot's preflight uses,
 * each pending file split as apply would run it, the check files and lint as preflight judges them, the lock
 * trace stored with the newest apply of each file elsewhere, and the traced tables' sizes here. Changes nothing.
 */
import type { DeployConfig, Environment } from './config.js';
import { blockersOf, type EnvPlan, lintCountsOf } from './deploy/env-plan.js';
import { knownTraces, relationsOf } from './deploy/known-traces.js';
import { OWN_LEDGER, planPending } from './deploy/ledger.js';
import { lintMigrations } from './lint/lint-files.js';
import { appliesOf } from './store/apply-traces.js';
import type { Store } from './store/db.js';
import { holderOf } from './store/run-start.js';
import { serverVersionNum, withTargetClient } from './target/client.js';
import type { MigrationFile } from './target/files.js';
import type { Footprints } from './target/footprint.js';
import { readLedgers } from './target/foreign-ledgers.js';
import { readSizes } from './target/lock-trace.js';
import { loadParser, splitStatements, statementProblems, statementsToRun } from './target/sql.js';
import { checksFor } from './verification.js';

export async function readPlan(
  deploy: DeployConfig,
  env: Environment,
  migrations: readonly MigrationFile[],
  upTo: string,
  footprints: Footprints,
  /** The bot's state database, when DATABASE_URL is set: lock traces and the run holding the environment. */
  store: Store | undefined,
): Promise<{ plan: EnvPlan; notes: string[] }> {
  await loadParser();
  const notes: string[] = [];
  const read = await withTargetClient(env, footprints, async (client) => {
    const versionNum = await serverVersionNum(client);
    const serverVersion = (await client.query<{ v: string }>("select current_setting('server_version') as v"))
      .rows[0]!.v;
    const ledgers = await readLedgers(client, migrations);
    const plan = planPending(migrations, ledgers.own, upTo, ledgers.foreign);
    const stored = store
      ? await appliesOf(
          store.db,
          plan.pending.map((f) => f.id),
          env.name,
        )
      : undefined;
    for (const u of stored?.unreadable ?? []) notes.push(`Skipped a stored apply result: ${u}`);
    const traces = knownTraces(stored?.applies ?? [], plan.pending, env.name);
    const relations = relationsOf(traces.values());
    const sizes = relations.length ? await readSizes(client, relations) : [];
    return { versionNum, serverVersion, plan, traces, sizes };
  });
  const { plan, versionNum, traces } = read;
  const fileProblems: string[] = [];
  const split = plan.pending.map((f) => {
    const s = splitStatements(f.text, versionNum);
    if (!s.ok) {
      fileProblems.push(
        `${f.fileName}:${s.at.line}:${s.at.column}: ${s.message}. Fix the SQL and run again.`,
      );
      return { statements: null, outside: null };
    }
    const bad = statementProblems(s.statements, f);
    if (bad.length) fileProblems.push(`${f.fileName}: ${bad.join('; ')}`);
    const toRun = statementsToRun(s.statements, f);
    return { statements: toRun.length, outside: toRun.find((x) => x.noTransaction)?.noTransaction ?? null };
  });
  const toVerify = migrations.filter((m) => m.id === upTo || plan.pending.some((p) => p.id === m.id));
  const checks = await checksFor(env, toVerify);
  const lint = plan.pending.length ? await lintMigrations(plan.pending, deploy.lint, versionNum) : null;
  const holder = store ? await holderOf(store.db, [env.name]) : undefined;
  const blockers = blockersOf(env.name, {
    unfinished: plan.unfinished,
    drift: plan.drift,
    fileProblems,
    checkProblems: checks.ok ? [] : checks.problems,
    lint,
  });
  return {
    notes,
    plan: {
      env: env.name,
      upTo,
      serverVersion: read.serverVersion,
      pending: plan.pending.map((f, i) => ({
        id: f.id,
        file: f.fileName,
        checksum: f.checksum,
        statements: split[i]!.statements,
        outsideTransaction: split[i]!.outside,
        lint: lintCountsOf(lint, f.fileName),
        lockTrace: traces.get(f.id) ?? null,
      })),
      lint,
      relationSizes: read.sizes,
      lockTracesRead: !!store,
      drift: plan.drift,
      unfinished: plan.unfinished,
      unknown: plan.unknown.map((u) => ({ id: u.id, recordedBy: u.recordedBy ?? OWN_LEDGER })),
      outOfOrder: plan.outOfOrder,
      heldBy: holder ? { runId: holder.runId, requestedBy: holder.requestedBy, since: holder.since } : null,
      blockers,
    },
  };
}
