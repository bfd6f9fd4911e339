/**
 * The same engine from a terminal or CI.
 *   migration-gate verify --env staging [--migration 024_x] [--json]
 *   migration-gate baseline 024_x --env staging --mark-applied-without-running (cli-baseline.ts)
 *   migration-gate lint [--migration 024_x] [--json | --format github] (cli-lint.ts)
 *   migration-gate status [--env staging]... [--json] (cli-status.ts)
 *   migration-gate plan --env production [--migration 024_x] [--json] (cli-plan.ts)
 * Exit codes: 0 every blocker passed · 1 a blocker failed · 2 usage or configuration error.
 */
import { parseArgs } from 'node:util';
import { BASELINE_USAGE, baselineCommand } from './cli-baseline.js';
import { configProblem, sayForCli, servicesNotInCli, watchTargetErrors } from './cli-errors.js';
import { LINT_USAGE, lintCommand } from './cli-lint.js';
import { PLAN_USAGE, planCommand } from './cli-plan.js';
import { STATUS_USAGE, statusCommand } from './cli-status.js';
import { table } from './cli-table.js';
import { loadDeployConfig } from './config.js';
import { ConfigError } from './config-error.js';
import { durationText } from './deploy/duration-text.js';
import { findMigration } from './deploy/files.js';
import { openStore } from './store/db.js';
import { measureFor, storeFootprints } from './store/footprints.js';
import { withTargetClient } from './target/client.js';
import { discoverMigrations } from './target/files.js';
import { unrecorded } from './target/footprint.js';
import { readLedger } from './target/ledger.js';
import { runVerify } from './verification.js';

const USAGE = `Usage: migration-gate verify --env <environment> [--migration <id>] [--json]

  --env        an environment from deploy.yml (DEPLOY_CONFIG, default ./deploy.yml)
  --migration  check one migration; without it, every migration the environment's ledger lists
  --json       print the results as JSON instead of a table

Exit codes: 0 every blocker passed, 1 a blocker failed, 2 usage or configuration error.`;

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  watchTargetErrors();
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(
      `${USAGE}\n\n${STATUS_USAGE}\n\n${PLAN_USAGE}\n\n${LINT_USAGE}\n\n${BASELINE_USAGE}\n`,
    );
    return command ? 0 : 2;
  }
  if (command === 'baseline') return baselineCommand(rest);
  if (command === 'lint') return lintCommand(rest);
  if (command === 'status') return statusCommand(rest);
  if (command === 'plan') return planCommand(rest);
  if (command !== 'verify') fail(`Unknown command "${command}".`);
  let args: { env?: string; migration?: string; json?: boolean };
  try {
    args = parseArgs({
      args: rest,
      options: { env: { type: 'string' }, migration: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (e) {
    fail((e as Error).message);
  }
  let deploy: ReturnType<typeof loadDeployConfig>;
  try {
    // Only the chosen environment's database variable is needed: verifying staging must not ask for production's.
    deploy = loadDeployConfig(process.env.DEPLOY_CONFIG ?? './deploy.yml', process.env, {
      databasesFor: args.env ? [args.env] : [],
    });
  } catch (e) {
    if (e instanceof ConfigError) fail(configProblem(e));
    throw e;
  }
  const names = deploy.environments.map((e) => e.name);
  if (!args.env) fail(`Say which environment with --env (${names.join(', ')}).`);
  const env = deploy.environments.find((e) => e.name === args.env);
  if (!env) fail(`There is no environment "${args.env}" in deploy.yml (${names.join(', ')}).`);
  if (deploy.services) fail(servicesNotInCli('verify'));
  const { migrations, problems } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  if (problems.length) fail(`The migrations folder has files with bad names:\n  ${problems.join('\n  ')}`);
  // With the bot's store at hand (DATABASE_URL), what this command does on the target is recorded as the bot's
  // own footprint, so the bot's monitoring never counts it as the application's.
  const store = process.env.DATABASE_URL ? await openStore(process.env.DATABASE_URL) : undefined;
  const footprints = store ? storeFootprints(store.db, measureFor(deploy.monitoring.metrics)) : unrecorded;
  let chosen = migrations;
  if (args.migration) {
    const m = findMigration(migrations, args.migration);
    if (!m)
      fail(
        `There is no migration "${args.migration}". Available: ${migrations.map((x) => x.id).join(', ')}.`,
      );
    chosen = [m];
  } else {
    const applied = new Set((await withTargetClient(env, footprints, readLedger)).map((l) => l.id));
    chosen = migrations.filter((m) => applied.has(m.id));
  }
  const outcome = await runVerify(env, chosen, undefined, footprints, undefined, true);
  await store?.close();
  const r = outcome.result;
  if (args.json)
    process.stdout.write(`${JSON.stringify({ migrations: chosen.map((m) => m.id), ...r }, null, 2)}\n`);
  else {
    if (r.problem) process.stdout.write(`${sayForCli(r.problem)}\n`);
    const icon = (x: (typeof r.results)[number]) =>
      x.status === 'pass'
        ? 'PASS'
        : x.status === 'skipped'
          ? 'SKIP'
          : x.severity === 'warning'
            ? 'WARN'
            : 'FAIL';
    process.stdout.write(
      `${table([['Check', 'Target', 'Actual', 'Status', 'Time'], ...r.results.map((x) => [x.name, x.target, x.error ?? x.actual, icon(x), durationText(x.durationMs)])])}\n\n`,
    );
    process.stdout.write(
      `${r.summary.passed}/${r.summary.total} pass, ${count(r.summary.warnings, 'warning')}, ${count(r.summary.blockersFailed, 'blocker')} failed${r.summary.skipped ? `, ${r.summary.skipped} skipped` : ''} on ${env.name}\n`,
    );
  }
  return r.problem ? 2 : outcome.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`migration-gate: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
