/**
 * A project for the CLI's status and plan tests, on real PostgreSQL: staging got 001–003 through a run of the bot
 * (its apply result, with the lock trace, stored in the state database the way the bot stores it; the run now waits
 * at production's gate), production has 001 made by hand and recorded by dbmate (1,000 rows in users), legacy has
 * 001 applied with a ledger checksum that no longer matches the file (drift).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployConfig } from '../../src/config.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run } from '../../src/deploy/types.js';
import { runApply } from '../../src/steps.js';
import { openStore } from '../../src/store/db.js';
import { createRun, reserveRunId } from '../../src/store/run-start.js';
import { saveRun } from '../../src/store/runs.js';
import { saveStepResult } from '../../src/store/step-results.js';
import { applyMigrations } from '../../src/target/apply.js';
import { checksumsUpTo, discoverMigrations } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import { createTestDatabase, query } from './pg.js';

const BIN = join(import.meta.dirname, '../../bin/migration-gate.js');
const FILES: Record<string, string> = {
  '001_users.sql': 'create table users (id bigint generated always as identity primary key, email text);\n',
  '002_email_index.sql': 'create index users_email on users (email);\n',
  '003_user_name.sql': 'alter table users add column name text;\n',
  '004_orders.sql':
    'create table orders (id bigint generated always as identity primary key, user_id bigint references users (id));\n',
};
const ENVS =
  'environments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n  - name: production\n    database: ${PRODUCTION_DATABASE_URL}\n  - name: legacy\n    database: ${LEGACY_DATABASE_URL}\n';

export interface PlannedProject {
  readonly dir: string;
  /** The state database's URL (DATABASE_URL for the CLI). */
  readonly state: string;
  /** The run waiting at production's gate. */
  readonly runId: number;
  /** The three targets' variables. */
  readonly all: Record<string, string>;
  /** The CLI run in `dir` with exactly these variables (and PATH; DEPLOY_CONFIG defaults to deploy.yml). */
  cli(env: Record<string, string>, ...args: string[]): { code: number | null; out: string; err: string };
}

export async function plannedProject(): Promise<PlannedProject> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-cli-plan-'));
  mkdirSync(join(dir, 'migrations'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, 'migrations', name), text);
  writeFileSync(join(dir, 'deploy.yml'), `migrations: ./migrations\n${ENVS}`);
  writeFileSync(
    join(dir, 'strict.yml'),
    `migrations: ./migrations\nlint:\n  require-concurrent-index-creation: error\n${ENVS}`,
  );
  const urls = {
    staging: await createTestDatabase('mg_plan_staging'),
    production: await createTestDatabase('mg_plan_prod'),
    legacy: await createTestDatabase('mg_plan_legacy'),
  };
  const state = await createTestDatabase('mg_plan_state');
  // production: 001's table made by hand, with rows, and dbmate's ledger saying 001 is applied.
  await query(
    urls.production,
    `create table users (id bigint generated always as identity primary key, email text);
     insert into users (email) select 'u' || g || '@example.com' from generate_series(1, 1000) g;
     analyze users;
     create table schema_migrations (version varchar(128) primary key);
     insert into schema_migrations values ('001');`,
  );
  const all = {
    STAGING_DATABASE_URL: urls.staging,
    PRODUCTION_DATABASE_URL: urls.production,
    LEGACY_DATABASE_URL: urls.legacy,
  };
  const deploy = loadDeployConfig(join(dir, 'deploy.yml'), all);
  const { migrations } = discoverMigrations(deploy.migrationsDir);
  // legacy: 001 applied, then the ledger's checksum no longer matches the file (drift).
  await applyMigrations(deploy.environments[2]!, migrations, '001_users', {
    runId: 0,
    appliedBy: 'test',
    footprints: unrecorded,
  });
  await query(urls.legacy, "update migration_gate.applied_migrations set checksum = repeat('ab', 32)");
  // staging: a run of the bot applies 001–003 and stores the result; it now waits at production's gate.
  const store = await openStore(state);
  const runId = await reserveRunId(store.db);
  const checksums = checksumsUpTo(migrations, '003_user_name');
  const created = await createRun(store.db, {
    id: runId,
    migration: '003_user_name',
    requestedBy: 'U0ALICE',
    channel: 'C0DEPLOYS',
    steps: planSteps([
      { name: 'staging', gated: false },
      { name: 'production', gated: true },
    ]),
    checksums,
  });
  if (!created.ok) throw new Error('run not created');
  const applyIndex = created.run.steps.findIndex((s) => s.env === 'staging' && s.name === 'apply');
  const applied = await runApply(deploy, deploy.environments[0]!, '003_user_name', {
    runId,
    appliedBy: 'U0ALICE',
    checksums,
    footprints: unrecorded,
  });
  if (!applied.ok) throw new Error(`staging apply failed: ${applied.result.problem}`);
  await saveStepResult(store.db, runId, applyIndex, applied.result);
  const at = new Date().toISOString();
  const gate = created.run.steps.findIndex((s) => s.env === 'production' && s.name === 'approval');
  const next: Run = {
    ...created.run,
    version: 1,
    steps: created.run.steps.map((s, i) =>
      i < gate
        ? { ...s, status: 'succeeded', startedAt: at, finishedAt: at }
        : i === gate
          ? { ...s, status: 'waiting', startedAt: at }
          : s,
    ),
  };
  if (!(await saveRun(store.db, next, 0))) throw new Error('run not saved');
  await store.close();
  const cli = (env: Record<string, string>, ...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DEPLOY_CONFIG: join(dir, 'deploy.yml'), ...env },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return { dir, state, runId, all, cli };
}
