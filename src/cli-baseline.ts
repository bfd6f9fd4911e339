/**
 * migration-gate baseline <migration> --env <environment> --mark-applied-without-running
 * Marks the migrations up to and including <migration> as applied on one environment without running them. Without
 * the flag it says what it would mark and which flag does it. With DATABASE_URL (the bot's store) it is audited
 * there, refused while a run holds the environment, and its connection counted as the bot's own footprint.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { runBaseline, runBaselinePreflight } from './baseline-step.js';
import { configProblem, sayForCli, servicesNotInCli } from './cli-errors.js';
import { loadDeployConfig } from './config.js';
import { ConfigError } from './config-error.js';
import { baselineWouldDo } from './deploy/baseline.js';
import { findMigration } from './deploy/files.js';
import { openStore } from './store/db.js';
import { measureFor, storeFootprints } from './store/footprints.js';
import { holderOf } from './store/run-start.js';
import * as runs from './store/runs.js';
import { checksumsUpTo, discoverMigrations } from './target/files.js';
import { unrecorded } from './target/footprint.js';

export const FLAG = '--mark-applied-without-running';

export const BASELINE_USAGE = `Usage: migration-gate baseline <migration> --env <environment> ${FLAG}

  Marks every migration up to and including <migration> that no ledger on the environment records as applied
  there, WITHOUT running it: for a database whose schema was made by hand. Without ${FLAG} it only
  says what it would mark.

Exit codes: 0 marked (or nothing to mark), 1 refused (drift, a busy environment, the target), 2 usage, configuration
or the flag missing.`;

const out = (s: string) => process.stdout.write(`${s}\n`);

function usage(message: string): number {
  process.stderr.write(`${message}\n\n${BASELINE_USAGE}\n`);
  return 2;
}

export async function baselineCommand(argv: string[]): Promise<number> {
  let parsed: { values: { env?: string; 'mark-applied-without-running'?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { env: { type: 'string' }, 'mark-applied-without-running': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { env: envName, 'mark-applied-without-running': confirmed } = parsed.values;
  const [wanted, ...extra] = parsed.positionals;
  if (!wanted || extra.length) return usage('Name one migration to baseline up to.');
  let deploy: ReturnType<typeof loadDeployConfig>;
  try {
    deploy = loadDeployConfig(process.env.DEPLOY_CONFIG ?? './deploy.yml', process.env, {
      databasesFor: envName ? [envName] : [],
    });
  } catch (e) {
    if (e instanceof ConfigError) return usage(configProblem(e));
    throw e;
  }
  const names = deploy.environments.map((e) => e.name);
  if (!envName) return usage(`Say which environment with --env (${names.join(', ')}).`);
  const env = deploy.environments.find((e) => e.name === envName);
  if (!env) return usage(`There is no environment "${envName}" in deploy.yml (${names.join(', ')}).`);
  if (deploy.services) return usage(servicesNotInCli('baseline'));
  const { migrations, problems } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  if (problems.length)
    return usage(`The migrations folder has files with bad names:\n  ${problems.join('\n  ')}`);
  const migration = findMigration(migrations, wanted);
  if (!migration)
    return usage(`There is no migration "${wanted}". Available: ${migrations.map((m) => m.id).join(', ')}.`);
  const store = process.env.DATABASE_URL ? await openStore(process.env.DATABASE_URL) : undefined;
  try {
    const footprints = store ? storeFootprints(store.db, measureFor(deploy.monitoring.metrics)) : unrecorded;
    const checksums = checksumsUpTo(migrations, migration.id);
    const pre = await runBaselinePreflight(deploy, env, migration.id, { id: 0, checksums }, footprints);
    if (!pre.ok) {
      out(`Nothing was marked. ${sayForCli(pre.reason ?? '')}`);
      return 1;
    }
    const ids = pre.result.pending.map((p) => p.id);
    if (!confirmed || !ids.length) {
      out(baselineWouldDo(env.name, ids, FLAG));
      return confirmed || !ids.length ? 0 : 2;
    }
    const actor = `cli:${userInfo().username}`;
    if (store) {
      const holder = await holderOf(store.db, [env.name]);
      if (holder) {
        out(
          `Nothing was marked: ${env.name} is busy with run #${holder.runId} (started by ${holder.requestedBy}). Wait for it to finish, then run again.`,
        );
        return 1;
      }
    }
    const done = await runBaseline(deploy, env, migration.id, {
      runId: null,
      by: actor,
      checksums,
      footprints,
      expected: ids,
    });
    if (store)
      await runs.audit(store.db, {
        actor,
        action: done.ok ? 'baseline.cli' : 'baseline.cli_failed',
        detail: {
          env: env.name,
          migration: migration.id,
          files: done.result.files.map((f) => f.id),
          ...(done.reason && !done.ok ? { problem: done.reason } : {}),
        },
      });
    if (!done.ok) {
      out(`Nothing was marked. ${sayForCli(done.reason ?? '')}`);
      return 1;
    }
    const also = done.result.foreign?.length ? ` Also recorded in ${done.result.foreign.join(', ')}.` : '';
    out(
      `Marked ${done.result.files.length} applied on ${env.name} WITHOUT running them, as baselined by ${actor}: ${done.result.files.map((f) => f.id).join(', ')}.${also}${store ? '' : " (No DATABASE_URL: the bot's audit log has no record of this; the ledger rows say who.)"}`,
    );
    return 0;
  } finally {
    await store?.close();
  }
}
