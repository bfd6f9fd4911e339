import { describe, expect, it } from 'vitest';
import { countSnapshot, diffSnapshots, summarizeDiff } from '../../src/deploy/diff.js';
import { withTargetClient } from '../../src/target/client.js';
import { unrecorded } from '../../src/target/footprint.js';
import { takeSnapshot } from '../../src/target/snapshot.js';
import { createTestDatabase, query } from '../support/pg.js';

describe('catalog snapshot on real PostgreSQL', () => {
  it('sees every kind of object in one query and diffs them', async () => {
    const url = await createTestDatabase('mg_snap');
    const env = { databaseUrl: url };
    const before = await withTargetClient(env, unrecorded, takeSnapshot);
    await query(
      url,
      `create extension if not exists pgcrypto;
       do $$ begin if not exists (select from pg_roles where rolname = 'snap_reader') then create role snap_reader; end if; end $$;
       create table w (id int primary key, status text check (status in ('A', 'B')));
       create table c (id int primary key, w_id int references w (id), active bool);
       create unique index c_one_active on c (w_id) where active;
       alter table c enable row level security;
       create policy c_iso on c for select to snap_reader using (w_id = 1);
       create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
       create trigger c_touch before update on c for each row execute function touch();
       create function add5(a int, b int, c int, d int, e int) returns jsonb language sql security definer as $$ select '{}'::jsonb $$;
       grant select on c to snap_reader;
       grant execute on function add5(int, int, int, int, int) to snap_reader;`,
    );
    const after = await withTargetClient(env, unrecorded, takeSnapshot);
    const counts = countSnapshot(after);
    expect(counts).toMatchObject({
      tables: 2,
      foreignKeys: 1,
      checkConstraints: 1,
      policies: 1,
      triggers: 1,
      functions: 2,
    });
    expect(after.indexes.find((i) => i.name === 'c_one_active')).toMatchObject({
      unique: true,
      predicate: 'active',
    });
    expect(after.functions.find((f) => f.name === 'add5')).toMatchObject({
      args: 5,
      returns: 'jsonb',
      securityDefiner: true,
    });
    expect(after.tables.find((t) => t.name === 'c')).toMatchObject({ rls: true });
    expect(after.grants).toEqual(
      expect.arrayContaining([
        { object: 'public.c', objectType: 'table', grantee: 'snap_reader', privilege: 'SELECT' },
        {
          object: 'public.add5(a integer, b integer, c integer, d integer, e integer)',
          objectType: 'function',
          grantee: 'snap_reader',
          privilege: 'EXECUTE',
        },
      ]),
    );
    expect(after.extensions.map((e) => e.name)).toContain('pgcrypto');
    // functions that belong to an extension (pgcrypto's) are not the user's
    expect(after.functions.map((f) => f.name)).not.toContain('gen_random_uuid');
    expect(summarizeDiff(diffSnapshots(before, after))).toMatch(
      /^\+2 tables, \+5 columns, \+4 constraints, \+3 indexes, \+2 functions, \+1 policy, \+1 trigger, \+1 extension, \+\d+ grants$/,
    );
  });
});

describe('what the diff sees change', () => {
  it('a changed CHECK, an FK action, an index method and a predicate are all changes; a rename is remove + add', async () => {
    const url = await createTestDatabase('mg_snap_change');
    const env = { databaseUrl: url };
    await query(
      url,
      `create table p (id int primary key);
       create table c (id int primary key, p_id int references p (id), n int check (n > 0), s text);
       create index c_s on c (s);
       create index c_n on c (n) where n > 10;`,
    );
    const before = await withTargetClient(env, unrecorded, takeSnapshot);
    await query(
      url,
      `alter table c drop constraint c_n_check, add constraint c_n_check check (n > 1);
       alter table c drop constraint c_p_id_fkey, add constraint c_p_id_fkey foreign key (p_id) references p (id) on delete cascade;
       drop index c_s; create index c_s on c using hash (s);
       drop index c_n; create index c_n on c (n) where n > 20;`,
    );
    const after = await withTargetClient(env, unrecorded, takeSnapshot);
    const d = diffSnapshots(before, after);
    expect(d.constraints.changed).toEqual(['public.c.c_n_check', 'public.c.c_p_id_fkey']);
    expect(d.indexes.changed).toEqual(['public.c.c_n', 'public.c.c_s']);
    await query(url, 'alter index c_s rename to c_s2');
    const renamed = diffSnapshots(after, await withTargetClient(env, unrecorded, takeSnapshot));
    expect(renamed.indexes).toEqual({ added: ['public.c.c_s2'], removed: ['public.c.c_s'], changed: [] });
  });
});
