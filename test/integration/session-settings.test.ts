import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/target/apply.js';
import { discoverMigrations, type MigrationFile } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import { rollbackMigrations } from '../../src/target/rollback.js';
import type { ApplySettings } from '../../src/target/run-file.js';
import { createTestDatabase, query } from '../support/pg.js';

function folder(files: Record<string, string>): MigrationFile[] {
  const dir = mkdtempSync(join(tmpdir(), 'mg-settings-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const { migrations, problems } = discoverMigrations(dir);
  expect(problems).toEqual([]);
  return migrations;
}

const ctx = { runId: 1, appliedBy: 'U1', footprints: unrecorded };

/** A storage set as Supabase writes it: after the table is created, its name is written unqualified. */
const storage = {
  '001_schema.sql': 'create schema storage;\n',
  '002_objects.sql': 'create table storage.objects (id int);\n',
  '002_objects.down.sql': 'drop table objects;\n',
  '003_index.sql':
    '-- migration-gate: no-transaction\ncreate index concurrently objects_id on objects (id);\n',
  '004_seed.sql': 'insert into objects values (1);\n',
};

describe('an environment’s session settings, on real PostgreSQL', () => {
  let env: ApplySettings;
  beforeEach(async () => {
    env = {
      name: 'test',
      databaseUrl: await createTestDatabase('mg_settings'),
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 200,
      statementTimeoutMs: 10_000,
      lockRetries: 1,
      retryBackoffMs: 10,
    };
  });

  it('a set that needs search_path=storage, public applies with it, in and outside a transaction', async () => {
    const withPath = { ...env, settings: { search_path: 'storage, public', statement_timeout: '0' } };
    const outcome = await applyMigrations(withPath, folder(storage), '004_seed', ctx);
    expect(outcome.ok).toBe(true);
    const where = await query(
      env.databaseUrl,
      "select c.relname, n.nspname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relname like 'objects%' order by 1",
    );
    expect(where).toEqual([
      { relname: 'objects', nspname: 'storage' },
      { relname: 'objects_id', nspname: 'storage' },
    ]);
    expect(
      await query(env.databaseUrl, 'select id from migration_gate.applied_migrations order by 1'),
    ).toEqual(['001_schema', '002_objects', '003_index', '004_seed'].map((id) => ({ id })));
    // Rolled back with the same settings: the down file's unqualified name is found in storage.
    const files = folder(storage).filter((f) => f.id === '002_objects');
    const back = await rollbackMigrations(withPath, files, { ...ctx, reason: 'test' });
    expect(back.ok).toBe(true);
    expect(await query(env.databaseUrl, "select to_regclass('storage.objects') as t")).toEqual([{ t: null }]);
  });

  it('without the setting, the same set fails clearly where the name is not found', async () => {
    const outcome = await applyMigrations(env, folder(storage), '004_seed', ctx);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.applied.map((a) => a.id)).toEqual(['001_schema', '002_objects']);
    expect(outcome.failure).toMatchObject({
      outsideTransaction: '-- migration-gate: no-transaction',
      statementsKept: 0,
      error: { code: '42P01', message: 'relation "objects" does not exist', file: '003_index.sql', line: 2 },
    });
  });

  it('a setting PostgreSQL refuses fails the file before any of it runs, naming deploy.yml', async () => {
    const outcome = await applyMigrations(
      { ...env, settings: { role: 'no_such_role' } },
      folder({ '001_t.sql': 'create table t (id int);\n' }),
      '001_t',
      ctx,
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failure?.error.message).toBe(
      'deploy.yml settings (role): role "no_such_role" does not exist',
    );
    expect(await query(env.databaseUrl, "select to_regclass('public.t') as t")).toEqual([{ t: null }]);
  });
});
