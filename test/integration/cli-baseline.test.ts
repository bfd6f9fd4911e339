import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../support/pg.js';

const ROOT = join(import.meta.dirname, '../..');
let dir: string;
let url: string;
let state: string;

function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/migration-gate.js'), ...args], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      DEPLOY_CONFIG: join(dir, 'deploy.yml'),
      STAGING_DATABASE_URL: url,
      ...env,
    },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mg-cli-baseline-'));
  url = await createTestDatabase('mg_cli_base');
  state = await createTestDatabase('mg_cli_state');
  writeFileSync(
    join(dir, 'deploy.yml'),
    'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
  );
  writeFileSync(join(dir, '001_t.sql'), 'create table t (id int primary key);\n');
  writeFileSync(join(dir, '002_u.sql'), 'create table u (id int);\n');
  writeFileSync(join(dir, '003_v.sql'), 'create table v (id int);\n');
  // Made by hand: 001 and 002 are true of the schema, no ledger says so.
  await query(url, 'create table t (id int primary key); create table u (id int);');
});

describe('migration-gate baseline (CLI)', () => {
  it('without the flag: says what it would mark and which flag does it, and marks nothing', () => {
    const r = cli({}, 'baseline', '002_u', '--env', 'staging');
    expect(r.code).toBe(2);
    expect(r.out).toBe(
      'This would mark 2 migrations as applied on staging WITHOUT running them: 001_t, 002_u. Their SQL never runs; only the ledger says they are applied. Run it again with --mark-applied-without-running to do it.\n',
    );
  });

  it('with the flag: marks them baselined, audited in the bot store, runs nothing', async () => {
    expect(await query(url, "select to_regclass('migration_gate.applied_migrations') as t")).toEqual([
      { t: null },
    ]);
    const r = cli(
      { DATABASE_URL: state },
      'baseline',
      '002',
      '--env',
      'staging',
      '--mark-applied-without-running',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^Marked 2 applied on staging WITHOUT running them, as baselined by cli:\S+: 001_t, 002_u\.\n$/,
    );
    const rows = await query<{ id: string; baselined: boolean; applied_by: string; run_id: number | null }>(
      url,
      'select id, baselined, applied_by, run_id from migration_gate.applied_migrations order by id',
    );
    expect(rows.map((x) => [x.id, x.baselined, x.run_id])).toEqual([
      ['001_t', true, null],
      ['002_u', true, null],
    ]);
    expect(rows[0]!.applied_by).toMatch(/^cli:/);
    const audit = await query<{ action: string; detail: unknown }>(
      state,
      "select action, detail from migration_gate_state.audit_events where action like 'baseline.%'",
    );
    expect(audit).toEqual([
      { action: 'baseline.cli', detail: { env: 'staging', migration: '002_u', files: ['001_t', '002_u'] } },
    ]);
    expect(await query(url, "select to_regclass('public.v') as v")).toEqual([{ v: null }]);
  });

  it('again: nothing to mark; an unknown migration is refused with the list', () => {
    const again = cli({}, 'baseline', '002_u', '--env', 'staging', '--mark-applied-without-running');
    expect(again.code).toBe(0);
    expect(again.out).toContain('Nothing to baseline on staging');
    const unknown = cli({}, 'baseline', '009', '--env', 'staging');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('There is no migration "009". Available: 001_t, 002_u, 003_v.');
  });
});
