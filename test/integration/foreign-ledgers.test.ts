import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/target/apply.js';
import { discoverMigrations, type MigrationFile, sha256 } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import { flywayChecksum } from '../../src/target/foreign-writes.js';
import { rollbackMigrations } from '../../src/target/rollback.js';
import type { ApplySettings } from '../../src/target/run-file.js';
import { createTestDatabase, query } from '../support/pg.js';

// Each file fails if it runs a second time: nothing recorded by the previous tool may be re-applied.
const FILES = {
  '001_users.sql': 'create table users (id int primary key);\n',
  '002_orders.sql': 'create table orders (id int primary key, user_id int references users);\n',
  '003_audit.sql': 'create table audit (id int primary key);\ncreate index audit_id on audit (id);\n',
  '003_audit.down.sql': 'drop table audit;\n',
};

function folder(): MigrationFile[] {
  const dir = mkdtempSync(join(tmpdir(), 'mg-foreign-'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  return discoverMigrations(dir).migrations;
}

/** The tables as each tool creates them (columns from its documentation), holding the first two files. */
const TOOLS = {
  prisma: `create table "_prisma_migrations" (
      "id" varchar(36) primary key not null, "checksum" varchar(64) not null, "finished_at" timestamptz,
      "migration_name" varchar(255) not null, "logs" text, "rolled_back_at" timestamptz,
      "started_at" timestamptz not null default now(), "applied_steps_count" integer not null default 0);
    insert into "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) values
      ('7d3f0c1e-0000-4000-8000-000000000001', '${sha256(FILES['001_users.sql'])}', now(), '001_users', 1),
      ('7d3f0c1e-0000-4000-8000-000000000002', '${sha256(FILES['002_orders.sql'])}', now(), '002_orders', 1);`,
  supabase: `create schema supabase_migrations;
    create table supabase_migrations.schema_migrations (version text not null primary key, statements text[], name text);
    insert into supabase_migrations.schema_migrations (version, name) values ('001', 'users'), ('002', 'orders');`,
  'golang-migrate': `create table schema_migrations (version bigint not null primary key, dirty boolean not null);
    insert into schema_migrations values (2, false);`,
  dbmate: `create table schema_migrations (version varchar(128) primary key);
    insert into schema_migrations values ('001'), ('002');`,
  flyway: `create table flyway_schema_history (installed_rank int not null primary key, version varchar(50),
      description varchar(200) not null, type varchar(20) not null, script varchar(1000) not null, checksum int,
      installed_by varchar(100) not null, installed_on timestamp not null default now(),
      execution_time int not null, success boolean not null);
    insert into flyway_schema_history values
      (1, '1', 'users', 'SQL', 'V1__users.sql', 12345, 'app', now(), 5, true),
      (2, '2', 'orders', 'SQL', 'V2__orders.sql', 67890, 'app', now(), 5, true);`,
} as const;

const ctx = { runId: 7, appliedBy: 'U1', footprints: unrecorded };

describe('ledgers other tools left on the target', () => {
  let env: ApplySettings;
  beforeEach(async () => {
    env = {
      name: 'staging',
      databaseUrl: await createTestDatabase('mg_foreign'),
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 1000,
      statementTimeoutMs: 10_000,
      lockRetries: 0,
      retryBackoffMs: 10,
    };
  });

  async function migratedBy(tool: keyof typeof TOOLS) {
    await query(env.databaseUrl, `${FILES['001_users.sql']}${FILES['002_orders.sql']}${TOOLS[tool]}`);
  }

  it.each(Object.keys(TOOLS) as (keyof typeof TOOLS)[])(
    '%s: what it recorded is not re-applied, and the file the bot applies is recorded as the tool would',
    async (tool) => {
      await migratedBy(tool);
      const files = folder();
      const r = await applyMigrations(env, files, '003_audit', ctx);
      expect(r.ok ? r.applied.map((f) => f.id) : r).toEqual(['003_audit']);
      const own = await query(env.databaseUrl, 'select id from migration_gate.applied_migrations');
      expect(own).toEqual([{ id: '003_audit' }]);
      const audit = files[2]!;
      if (tool === 'prisma') {
        const rows = await query(
          env.databaseUrl,
          `select checksum, applied_steps_count, finished_at >= started_at as ordered, rolled_back_at, length(id) as idlen
           from _prisma_migrations where migration_name = '003_audit'`,
        );
        expect(rows).toEqual([
          {
            checksum: audit.checksum,
            applied_steps_count: 1,
            ordered: true,
            rolled_back_at: null,
            idlen: 36,
          },
        ]);
      } else if (tool === 'supabase') {
        expect(
          await query(
            env.databaseUrl,
            `select name, statements from supabase_migrations.schema_migrations where version = '003'`,
          ),
        ).toEqual([
          {
            name: 'audit',
            statements: ['create table audit (id int primary key)', 'create index audit_id on audit (id)'],
          },
        ]);
      } else if (tool === 'golang-migrate') {
        expect(await query(env.databaseUrl, 'select version::int, dirty from schema_migrations')).toEqual([
          { version: 3, dirty: false },
        ]);
      } else if (tool === 'dbmate') {
        expect(await query(env.databaseUrl, 'select version from schema_migrations order by 1')).toEqual([
          { version: '001' },
          { version: '002' },
          { version: '003' },
        ]);
      } else {
        expect(
          await query(
            env.databaseUrl,
            `select installed_rank, version, description, type, script, checksum, success from flyway_schema_history where installed_rank = 3`,
          ),
        ).toEqual([
          {
            installed_rank: 3,
            version: '003',
            description: 'audit',
            type: 'SQL',
            script: '003_audit.sql',
            checksum: flywayChecksum(audit.text),
            success: true,
          },
        ]);
      }
      // Rolled back by the bot: the tool's ledger no longer says it is applied, and a new apply runs it again.
      const back = await rollbackMigrations(env, [audit], { ...ctx, reason: 'test', folder: files });
      expect(back.ok ? true : back).toBe(true);
      const again = await applyMigrations(env, files, '003_audit', ctx);
      expect(again.ok ? again.applied.map((f) => f.id) : again).toEqual(['003_audit']);
    },
  );

  it('prisma: a recorded checksum that differs from the file is drift, and nothing is applied', async () => {
    await migratedBy('prisma');
    await query(
      env.databaseUrl,
      `update _prisma_migrations set checksum = repeat('a', 64) where migration_name = '002_orders'`,
    );
    const r = await applyMigrations(env, folder(), '003_audit', ctx);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.drift).toEqual([
      expect.objectContaining({ id: '002_orders', ledgerChecksum: 'a'.repeat(64), recordedBy: 'Prisma' }),
    ]);
    expect(await query(env.databaseUrl, `select to_regclass('audit') as t`)).toEqual([{ t: null }]);
  });

  it('golang-migrate: a dirty version blocks the run with a sentence saying what to do', async () => {
    await migratedBy('golang-migrate');
    await query(env.databaseUrl, 'update schema_migrations set dirty = true');
    const r = await applyMigrations(env, folder(), '003_audit', ctx);
    expect(!r.ok && r.message).toMatch(
      /schema_migrations on staging says version 2 is dirty.*migrate force 2/,
    );
    expect(await query(env.databaseUrl, `select to_regclass('audit') as t`)).toEqual([{ t: null }]);
  });
});
