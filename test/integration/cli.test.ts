import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/target/apply.js';
import { discoverMigrations } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import { createTestDatabase } from '../support/pg.js';

const ROOT = join(import.meta.dirname, '../..');
let dir: string;
let url: string;

function cli(...args: string[]) {
  return cliWith({ DEPLOY_CONFIG: join(dir, 'deploy.yml'), STAGING_DATABASE_URL: url }, ...args);
}

/** The CLI with exactly these variables (and PATH) in its environment. */
function cliWith(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/migration-gate.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-cli-'));
  url = await createTestDatabase('mg_cli');
  writeFileSync(
    join(dir, 'deploy.yml'),
    'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
  );
  writeFileSync(join(dir, '001_t.sql'), 'create table t (id int primary key);\n');
  writeFileSync(
    join(dir, '001_t.checks.yml'),
    '- { name: t exists, table: t }\n- { name: t empty, sql: "select count(*) from t", expect: 0 }\n',
  );
  writeFileSync(join(dir, '002_u.sql'), 'create table u (id int);\n');
  writeFileSync(
    join(dir, '002_u.checks.yml'),
    '- { name: u has rows, sql: "select count(*) from u", expect: "> 0" }\n- { name: soft, severity: warning, sql: "select 1", expect: 2 }\n',
  );
  const { migrations } = discoverMigrations(dir);
  await applyMigrations(
    {
      name: 'staging',
      databaseUrl: url,
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 1000,
      statementTimeoutMs: 10_000,
      lockRetries: 0,
      retryBackoffMs: 0,
    },
    migrations,
    '002_u',
    { runId: 0, appliedBy: 'test', footprints: unrecorded },
  );
});

describe('migration-gate verify (CLI)', () => {
  it('exits 0 when every blocker passes, with a readable table', () => {
    const r = cli('verify', '--env', 'staging', '--migration', '001');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Check\s+Target\s+Actual\s+Status\s+Time$/m);
    expect(r.out).toMatch(/^t exists\s+public\.t exists\s+table\s+PASS/m);
    expect(r.out).toMatch(/^t exists\s+public\.t exists\s+table\s+PASS\s+(\d+ ms|\d+\.\d s)$/m);
    expect(r.out).toContain('2/2 pass, 0 warnings, 0 blockers failed on staging');
  });

  it('exits 1 when a blocker fails; JSON has the results and the summary', () => {
    const r = cli('verify', '--env', 'staging', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      env: 'staging',
      ok: false,
      migrations: ['001_t', '002_u'],
      summary: { passed: 2, total: 4, warnings: 1, blockersFailed: 1 },
    });
    expect(json.results.find((x: { name: string }) => x.name === 'u has rows')).toMatchObject({
      status: 'fail',
      target: '> 0',
      actual: '0',
      severity: 'blocker',
    });
  });

  it('exits 2 on usage and configuration errors, saying what was wrong', () => {
    expect(cli('verify').code).toBe(2);
    expect(cli('verify').err).toContain('Say which environment with --env (staging).');
    const unknown = cli('verify', '--env', 'prod');
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toContain('There is no environment "prod" in deploy.yml (staging).');
    expect(cli('verify', '--env', 'staging', '--migration', '9').err).toContain(
      'There is no migration "9". Available: 001_t, 002_u.',
    );
    expect(cli('frobnicate').err).toContain('Unknown command "frobnicate".');
    expect(cli('verify', '--bogus').err).toContain("Unknown option '--bogus'");
  });
});

describe('migration-gate verify with the shipped deploy.yml and example migrations', () => {
  let staging: string;
  beforeAll(async () => {
    staging = await createTestDatabase('mg_cli_shipped');
    const { migrations } = discoverMigrations(join(ROOT, 'migrations'));
    const settings = {
      name: 'staging',
      databaseUrl: staging,
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 1000,
      statementTimeoutMs: 10_000,
      lockRetries: 0,
      retryBackoffMs: 0,
    };
    const applied = await applyMigrations(settings, migrations, migrations.at(-1)!.id, {
      runId: 0,
      appliedBy: 'test',
      footprints: unrecorded,
    });
    expect(applied.ok).toBe(true);
  });

  it('exits 0 on a healthy database, shows rows_unchanged skipped with why, and needs no other environment', () => {
    const r = cliWith(
      { DEPLOY_CONFIG: join(ROOT, 'deploy.yml'), STAGING_DATABASE_URL: staging },
      'verify',
      '--env',
      'staging',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^zero rows lost\s+row counts of 3 tables unchanged\s+skipped: compares with the row counts a deploy takes first\s+SKIP\s+\d+ ms$/m,
    );
    expect(r.out).toMatch(/^at least 45 foreign keys .*WARN/m);
    expect(r.out).toContain('1 skipped');
    expect(r.out).not.toMatch(/\brun\b|Roll back/i);
  });

  it('still names the variable of the environment asked for when it is missing', () => {
    const r = cliWith({ DEPLOY_CONFIG: join(ROOT, 'deploy.yml') }, 'verify', '--env', 'production');
    expect(r.code).toBe(2);
    expect(r.err).toContain(
      "The environment variable PRODUCTION_DATABASE_URL is not set (deploy.yml's environments[1].database reads it). Set it in the environment this command runs in: it is an environment variable, not a deploy.yml setting.",
    );
    expect(r.err).not.toContain('is not valid');
    expect(r.err).not.toContain('STAGING_DATABASE_URL');
  });

  it('says what kind of error a target gave, not that a bot log has it (the CLI has none)', () => {
    const r = cliWith(
      {
        DEPLOY_CONFIG: join(ROOT, 'deploy.yml'),
        STAGING_DATABASE_URL: 'postgres://someone:secret@127.0.0.1:1/nowhere',
      },
      'status',
      '--env',
      'staging',
    );
    expect(r.code).toBe(2);
    expect(r.out + r.err).toContain(
      'staging: the database server refused the connection. Check that PostgreSQL is running and that the host and port in STAGING_DATABASE_URL are right (error code ECONNREFUSED).',
    );
    expect(r.out + r.err).not.toContain('bot log');
    expect(r.out + r.err).not.toContain('secret');
  });
});
