/** Backups before apply, restores after a rollback, and their removal, on real PostgreSQL (issue 13, part 4). */
import pg from 'pg';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { touchedTables } from '../../src/deploy/backup-plan.js';
import type { BackedUpTable } from '../../src/deploy/backups.js';
import { parseMigration } from '../../src/lint/parse.js';
import { backupTables } from '../../src/target/backup.js';
import { dropBackups } from '../../src/target/backup-prune.js';
import { withTargetClient } from '../../src/target/client.js';
import { type Counters, type Footprints, unrecorded } from '../../src/target/footprint.js';
import { restoreTables } from '../../src/target/restore.js';
import { takeSnapshot } from '../../src/target/snapshot.js';
import { loadParser } from '../../src/target/sql.js';
import { createTestDatabase, query } from '../support/pg.js';

const touched = (sql: string) => {
  const parsed = parseMigration(sql);
  if (!parsed.ok) throw new Error(parsed.message);
  return touchedTables(parsed.file.statements);
};

const timeouts = { lockTimeoutMs: 2000, statementTimeoutMs: 30_000 };

async function backup(url: string, migration: string, settings?: Record<string, string>, runId = 7) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await backupTables(c, touched(migration), { runId, settings, ...timeouts });
  } finally {
    await c.end();
  }
}

async function restore(url: string, tables: readonly BackedUpTable[]) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await restoreTables(c, tables, { settings: undefined, ...timeouts });
  } finally {
    await c.end();
  }
}

async function run(url: string, sql: string) {
  await query(url, sql);
}

describe('a backup before a destructive migration, and a restore after its rollback', () => {
  let url: string;
  beforeAll(loadParser);
  beforeEach(async () => {
    url = await createTestDatabase('mg_backup');
    await run(
      url,
      `create table users (id serial primary key, name text not null, nickname text);
       insert into users (name, nickname) select 'user ' || i, 'nick ' || i from generate_series(1, 50) i;
       create table orders (id bigint generated always as identity primary key, user_id int references users (id), total numeric(10,2));
       insert into orders (user_id, total) select 1 + i % 50, i * 1.5 from generate_series(1, 200) i;`,
    );
  });

  it('a dropped column: its values come back by primary key once the down file adds it back', async () => {
    const copied = await backup(url, 'alter table users drop column nickname;');
    expect(copied.skipped).toEqual([]);
    expect(copied.tables).toMatchObject([
      {
        schema: 'public',
        name: 'users',
        backup: 'run7_users',
        rows: 50,
        restoreRows: false,
        restoreColumns: ['nickname'],
        primaryKey: ['id'],
      },
    ]);
    expect(copied.tables[0]!.bytes).toBeGreaterThan(0);
    expect(await query(url, 'select count(*)::int as n from migration_gate_backup.run7_users')).toEqual([
      { n: 50 },
    ]);
    expect(
      await query(
        url,
        'select run_id, backup_table, source_schema, source_table, rows::int from migration_gate_backup.backups',
      ),
    ).toEqual([
      { run_id: 7, backup_table: 'run7_users', source_schema: 'public', source_table: 'users', rows: 50 },
    ]);
    await run(url, 'alter table users drop column nickname');
    await run(url, "update users set name = 'renamed' where id = 3"); // written after the migration: kept
    await run(url, 'alter table users add column nickname text'); // the down file
    const restored = await restore(url, copied.tables);
    expect(restored).toMatchObject([
      { name: 'users', rowsInserted: 0, rowsUpdated: 50, columns: ['nickname'], notes: [] },
    ]);
    expect(await query(url, 'select id, name, nickname from users where id in (3, 4) order by id')).toEqual([
      { id: 3, name: 'renamed', nickname: 'nick 3' },
      { id: 4, name: 'user 4', nickname: 'nick 4' },
    ]);
  });

  it('deleted rows come back, parents before children, and rows still there stay as they are', async () => {
    const copied = await backup(
      url,
      'delete from orders where user_id > 25;\ndelete from users where id > 25;',
    );
    expect(copied.tables.map((t) => [t.name, t.changes, t.restoreRows])).toEqual([
      ['orders', ['delete'], true],
      ['users', ['delete'], true],
    ]);
    await run(url, 'delete from orders where user_id > 25; delete from users where id > 25');
    await run(url, "update users set nickname = 'changed since' where id = 1");
    const restored = await restore(url, copied.tables);
    expect(Object.fromEntries(restored.map((t) => [t.name, t.rowsInserted]))).toEqual({
      users: 25,
      orders: 100,
    });
    expect(
      await query(
        url,
        'select count(*)::int as users, (select count(*)::int from orders) as orders from users',
      ),
    ).toEqual([{ users: 50, orders: 200 }]);
    expect(await query(url, 'select nickname from users where id = 1')).toEqual([
      { nickname: 'changed since' },
    ]);
  });

  it('a dropped table with an enum column: the copy holds it as text (DROP TYPE still works), and restore recreates the table', async () => {
    await run(
      url,
      `create type kind as enum ('a', 'b');
       create table items (id serial primary key, k kind not null, tags kind[]);
       insert into items (k, tags) select 'b', array['a','b']::kind[] from generate_series(1, 10);`,
    );
    const copied = await backup(url, 'drop table items;\ndrop type kind;');
    expect(copied.tables[0]).toMatchObject({ name: 'items', rows: 10, changes: ['drop'], restoreRows: true });
    expect(copied.tables[0]!.columns.map((c) => [c.name, c.asText])).toEqual([
      ['id', false],
      ['k', true],
      ['tags', true],
    ]);
    await run(url, 'drop table items; drop type kind'); // the migration goes through despite the copy
    // The down file brings the type back but not the table: restore creates it again from the copy.
    await run(url, "create type kind as enum ('a', 'b')");
    const restored = await restore(url, copied.tables);
    expect(restored).toMatchObject([{ name: 'items', recreated: true, rowsInserted: 10 }]);
    expect(await query(url, 'select k::text, tags::text from items where id = 10')).toEqual([
      { k: 'b', tags: '{a,b}' },
    ]);
    // Its serial sequence was taken away with it: the new table has no default; a down file that recreates the
    // table with its serial column gets its sequence moved past the ids put back (next test).
  });

  it('a table the down file recreates with a serial: rows go back and the sequence moves past them', async () => {
    const copied = await backup(url, 'truncate orders;');
    await run(url, 'drop table orders');
    await run(
      url,
      'create table orders (id bigint generated always as identity primary key, user_id int, total numeric(10,2))',
    );
    const restored = await restore(url, copied.tables);
    expect(restored[0]).toMatchObject({ rowsInserted: 200, recreated: false });
    await run(url, 'insert into orders (user_id, total) values (1, 1)');
    expect(await query(url, 'select max(id)::int as id from orders')).toEqual([{ id: 201 }]);
  });

  it('unqualified names resolve with the environment’s search_path; views and tables the migration creates are not copied', async () => {
    await run(
      url,
      `create schema storage; create table storage.objects (id int primary key, name text);
       insert into storage.objects values (1, 'a'); create view user_names as select name from users;`,
    );
    const copied = await backup(
      url,
      'create table fresh (id int);\nalter table fresh add column x int;\nalter table objects drop column name;\nalter table user_names rename to names;\nupdate users set nickname = null;',
      { search_path: 'storage, public' },
    );
    expect(copied.tables.map((t) => [t.schema, t.name, t.backup])).toEqual([
      ['storage', 'objects', 'run7_storage_objects'],
      ['public', 'users', 'run7_users'],
    ]);
    expect(copied.skipped).toEqual([
      { table: 'fresh', why: 'does not exist before apply (the migration creates it, or it is gone)' },
      { table: 'user_names', why: 'is a view' },
    ]);
  });

  it('the copies are the bot’s own: a catalog snapshot (diffs, counts, rows_unchanged) does not list them', async () => {
    await backup(url, 'delete from users;');
    const snapshot = await withTargetClient({ databaseUrl: url }, unrecorded, (c) => takeSnapshot(c));
    expect(snapshot.tables.map((t) => t.qname).sort()).toEqual(['public.orders', 'public.users']);
  });

  it('a restore whose copy is gone says so and changes nothing; a removal drops the copies and their catalog rows once', async () => {
    const copied = await backup(url, 'alter table users drop column nickname;');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const removed = await dropBackups(c, 7, ['run7_users']);
    const again = await dropBackups(c, 7, ['run7_users']);
    await c.end();
    expect(removed).toEqual([
      { backup: 'run7_users', table: 'public.users', rows: 50, bytes: copied.tables[0]!.bytes },
    ]);
    expect(again).toEqual([]);
    expect(await query(url, "select to_regclass('migration_gate_backup.run7_users') as t")).toEqual([
      { t: null },
    ]);
    await expect(restore(url, copied.tables)).rejects.toThrow(
      'The backup migration_gate_backup.run7_users is gone (backups are removed after keepFor, or by hand): nothing was restored.',
    );
  });

  it('the copy is the bot’s own work: its scans are counted as its footprint, not the application’s', async () => {
    const added: Counters[] = [];
    const footprints: Footprints = {
      add: async (_t, c) => void added.push(c),
      total: async () => ({}),
      measure: { seqScans: true, functions: [] },
    };
    const oid = (await query<{ oid: number }>(url, "select 'users'::regclass::oid::int as oid"))[0]!.oid;
    await withTargetClient(
      { databaseUrl: url },
      footprints,
      (client) =>
        backupTables(client, touched('delete from users;'), { runId: 9, settings: undefined, ...timeouts }),
      { mark: true, deep: footprints.measure },
    );
    expect(added[0]?.[`seq.${oid}`]).toBeGreaterThanOrEqual(1);
  });
});
