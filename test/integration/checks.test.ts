import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CheckResult, parseChecks } from '../../src/deploy/checks.js';
import { runChecks } from '../../src/target/checks.js';
import { withTargetClient } from '../../src/target/client.js';
import { unrecorded } from '../../src/target/footprint.js';
import { countRows } from '../../src/target/rows-before.js';
import { createTestDatabase, query } from '../support/pg.js';

const SCHEMA = `
do $$ begin
  if not exists (select from pg_roles where rolname = 'check_user') then create role check_user nologin; end if;
  if not exists (select from pg_roles where rolname = 'check_admin') then create role check_admin nologin; end if;
end $$;
create extension if not exists pgcrypto;
create table workspaces (id int primary key, name text not null);
create table campaigns (
  id int primary key, workspace_id int not null references workspaces (id),
  status text not null default 'DRAFT' check (status in ('DRAFT', 'ACTIVE')), title varchar(80));
create unique index campaigns_one_active on campaigns (workspace_id) where status = 'ACTIVE';
alter table campaigns enable row level security;
create policy campaigns_isolation on campaigns for select to check_user
  using (workspace_id = nullif(current_setting('app.workspace_id', true), '')::int);
create table leaky (id int primary key, workspace_id int not null);
alter table leaky enable row level security;
create policy leaky_all on leaky for select to check_user using (true);
grant usage on schema public to check_user;
grant select on campaigns, leaky, workspaces to check_user;
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger campaigns_touch before update on campaigns for each row execute function touch();
create function add_five(a uuid, b text, c text, d text, e jsonb) returns jsonb language sql security definer as $$ select '{"ok": true}'::jsonb $$;
revoke all on function add_five(uuid, text, text, text, jsonb) from public;
grant execute on function add_five(uuid, text, text, text, jsonb) to check_user;
create table counters (id int primary key, n int not null);
insert into counters values (1, 0);
-- read, then write: loses updates when called at once
create function bump_racy() returns void language plpgsql as $$
declare v int; begin select n into v from counters where id = 1; perform pg_sleep(0.05); update counters set n = v + 1 where id = 1; end $$;
-- one atomic statement
create function bump_atomic() returns void language sql as $$ update counters set n = n + 1 where id = 1 $$;
insert into workspaces values (1, 'one'), (2, 'two');
insert into campaigns values (1, 1, 'ACTIVE', 'a'), (2, 2, 'DRAFT', 'b');
insert into leaky values (1, 1), (2, 2);
`;

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('mg_checks');
  await query(url, SCHEMA);
});

async function run(yaml: string, baselineRowCounts?: Record<string, number>): Promise<CheckResult[]> {
  const parsed = parseChecks(parse(yaml), 'test.checks.yml');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return runChecks(url, parsed.checks, { footprints: unrecorded, baselineRowCounts, defaultTimeoutMs: 5000 });
}

const pair = (kind: string, pass: string, fail: string) => [kind, pass, fail] as const;

describe('every check kind against real PostgreSQL: one passing, one failing with a useful actual', () => {
  it.each([
    pair(
      'sql',
      '{ sql: "select count(*) from campaigns", expect: 2 }',
      '{ sql: "select count(*) from campaigns", expect: "> 5" }',
    ),
    pair(
      'function',
      '{ function: { name: add_five, args: 5, returns: jsonb, securityDefiner: true } }',
      '{ function: { name: add_five, args: 4 } }',
    ),
    pair(
      'function types',
      '{ function: { name: add_five, args: [uuid, text, text, text, jsonb] } }',
      '{ function: { name: nope } }',
    ),
    pair('table', '{ table: campaigns }', '{ table: public.nope }'),
    pair(
      'column',
      '{ column: { table: campaigns, name: title, type: character varying(80), nullable: true } }',
      '{ column: { table: campaigns, name: title, type: text } }',
    ),
    pair(
      'column default',
      '{ column: { table: campaigns, name: status, default: "\'DRAFT\'", nullable: false } }',
      '{ column: { table: campaigns, name: status, default: "\'ACTIVE\'" } }',
    ),
    pair(
      'index',
      '{ index: { table: campaigns, columns: [workspace_id], unique: true, where: "status = \'ACTIVE\'" } }',
      '{ index: { table: campaigns, columns: [status], unique: true } }',
    ),
    pair(
      'constraint',
      '{ constraint: { table: campaigns, type: foreign_key, references: workspaces } }',
      '{ constraint: { table: workspaces, type: foreign_key } }',
    ),
    pair('extension', '{ extension: pgcrypto }', '{ extension: postgis }'),
    pair(
      'grant',
      '{ grant: { function: add_five, to: [check_user] } }',
      '{ grant: { function: add_five, to: [check_user, check_admin] } }',
    ),
    pair(
      'grant table',
      '{ grant: { table: campaigns, privilege: select, to: [check_user] } }',
      '{ grant: { table: campaigns, privilege: insert, to: [check_user] } }',
    ),
    pair(
      'rls',
      '{ rls: { table: campaigns, policies: [campaigns_isolation] } }',
      '{ rls: { table: workspaces } }',
    ),
    pair(
      'policy',
      '{ policy: { table: campaigns, name: campaigns_isolation, command: select, roles: [check_user] } }',
      '{ policy: { table: campaigns, name: campaigns_isolation, command: insert } }',
    ),
    pair(
      'trigger',
      '{ trigger: { table: campaigns, name: campaigns_touch } }',
      '{ trigger: { table: workspaces, name: campaigns_touch } }',
    ),
    pair(
      'regex',
      '{ sql: "select title from campaigns where id = 1", expect: "/^a$/" }',
      '{ sql: "select title from campaigns where id = 1", expect: "/^z/" }',
    ),
    pair(
      'json',
      "{ sql: \"select add_five(gen_random_uuid(), '', '', '', '{}')\", expect: { json: { ok: true } } }",
      "{ sql: \"select add_five(gen_random_uuid(), '', '', '', '{}')\", expect: { contains: { ok: false } } }",
    ),
    pair(
      'rows',
      '{ sql: "select * from workspaces", expect: [[1, one], [2, two]] }',
      '{ sql: "select * from workspaces", expect: { rows: 3 } }',
    ),
  ])('%s', async (_kind, passing, failing) => {
    const [ok, bad] = await run(
      `- { name: passes, ${passing.slice(1)}\n- { name: fails, ${failing.slice(1)}`,
    );
    expect(ok).toMatchObject({ status: 'pass' });
    expect(bad).toMatchObject({ status: 'fail' });
    expect(bad!.actual).not.toBe('');
    expect(bad!.target).not.toBe('');
  });

  it('failing built-ins say what is there instead', async () => {
    const [fn, col, idx, grant] = await run(`
- { name: f, function: { name: add_five, args: 4 } }
- { name: c, column: { table: campaigns, name: title, type: text } }
- { name: i, index: { table: campaigns, columns: [status], unique: true } }
- { name: g, grant: { function: add_five, to: [check_user, check_admin] } }`);
    expect(fn!.actual).toBe('add_five(uuid, text, text, text, jsonb) returns jsonb security definer');
    expect(fn!.target).toBe('public.add_five 4 args');
    expect(col!.actual).toBe('character varying(80) null');
    expect(idx!.actual).toContain('CREATE UNIQUE INDEX campaigns_one_active');
    expect(grant!.actual).toBe('check_user ✓, check_admin ✗');
  });
});

describe('RLS isolation checks', () => {
  it('catches a leaking policy, passes a correct one, and leaves nothing behind', async () => {
    const before = await query(url, "select current_setting('app.workspace_id', true) as s");
    const [good, leak] = await run(`
- { name: campaigns isolated, as: { role: check_user, settings: { app.workspace_id: "1" } }, sql: "select count(*) from campaigns where workspace_id <> 1", expect: 0 }
- { name: leaky isolated, as: { role: check_user, settings: { app.workspace_id: "1" } }, sql: "select count(*) from leaky where workspace_id <> 1", expect: 0 }`);
    expect(good).toMatchObject({ status: 'pass', actual: '0' });
    expect(leak).toMatchObject({ status: 'fail', actual: '1', target: '= 0' });
    expect(await query(url, "select current_setting('app.workspace_id', true) as s")).toEqual(before);
  });
});

describe('concurrency checks', () => {
  const yaml = (fn: string) => `
- name: 5 concurrent calls counted
  concurrent: { times: 5, sql: "select ${fn}()" }
  then: { sql: "select n from counters where id = 1", expect: 5 }
  cleanup: "update counters set n = 0 where id = 1"`;

  it('a read-then-write function loses updates and fails; the atomic one passes; cleanup runs', async () => {
    const [racy] = await run(yaml('bump_racy'));
    expect(racy!.status).toBe('fail');
    expect(Number(racy!.actual)).toBeLessThan(5);
    expect(await query(url, 'select n from counters')).toEqual([{ n: 0 }]);
    const [atomic] = await run(yaml('bump_atomic'));
    expect(atomic).toMatchObject({ status: 'pass', actual: '5' });
    expect(await query(url, 'select n from counters')).toEqual([{ n: 0 }]);
  });
});

describe('safety', () => {
  it('a check that writes in a read-only check fails with a clear message and writes nothing', async () => {
    const [w] = await run(
      '- { name: sneaky, sql: "insert into workspaces values (9, \'nine\') returning id", expect: 9 }',
    );
    expect(w!.status).toBe('error');
    expect(w!.error).toContain('This check tried to write in a read-only transaction');
    expect(await query(url, 'select count(*)::int as n from workspaces')).toEqual([{ n: 2 }]);
  });

  it('writes: true runs in a transaction that is rolled back', async () => {
    const [w] = await run(
      '- { name: scratch, writes: true, sql: "insert into workspaces values (9, \'nine\') returning id", expect: 9 }',
    );
    expect(w!.status).toBe('pass');
    expect(await query(url, 'select count(*)::int as n from workspaces')).toEqual([{ n: 2 }]);
  });

  it('a query error or a timeout is a failed check, never a crash; warnings are reported as such', async () => {
    const results = await run(`
- { name: typo, sql: "select nme from campaigns", expect: 1 }
- { name: slow, timeout: 100ms, sql: "select pg_sleep(2)", expect: empty }
- { name: soft, severity: warning, sql: "select 1", expect: 2 }`);
    expect(results[0]).toMatchObject({
      status: 'error',
      error: expect.stringContaining('42703 column "nme" does not exist'),
    });
    expect(results[1]).toMatchObject({
      status: 'error',
      error: expect.stringContaining('ran past its timeout'),
    });
    expect(results[2]).toMatchObject({ status: 'fail', severity: 'warning' });
  });

  it('rows_unchanged compares with preflight counts', async () => {
    const baseline = await withTargetClient({ databaseUrl: url }, unrecorded, (c) =>
      countRows(c, ['workspaces', 'campaigns']),
    );
    const [same] = await run('- { name: zero data loss, rows_unchanged: [workspaces, campaigns] }', baseline);
    expect(same).toMatchObject({ status: 'pass', actual: '2 unchanged' });
    const [lost] = await run('- { name: zero data loss, rows_unchanged: [workspaces] }', { workspaces: 3 });
    expect(lost).toMatchObject({ status: 'fail', actual: 'workspaces 3 → 2' });
    const [none] = await run('- { name: zero data loss, rows_unchanged: true }');
    expect(none!.status).toBe('error');
  });
});

describe('check files are validated', () => {
  it('reports every problem with the file and path', () => {
    const r = parseChecks(
      parse(`
- { name: a }
- { name: b, sql: "select 1" }
- { name: c, table: users, function: { name: f } }
- { name: d, grant: { table: t, function: f, to: [x] } }
- { name: e, sql: "select 1", expect: 1, colour: red }
- { name: f, concurrent: { times: 1, sql: "select 1" } }`),
      '024_x.checks.yml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^024_x\.checks\.yml\[0\]: a check needs exactly one of sql, function, .* \(found none\)$/,
      ),
      '024_x.checks.yml[1].expect: an sql check needs expect',
      expect.stringMatching(
        /^024_x\.checks\.yml\[2\]: a check needs exactly one of .* \(found function, table\)$/,
      ),
      '024_x.checks.yml[3].grant: name exactly one of table or function',
      '024_x.checks.yml[4]: unknown key(s) "colour"',
      expect.stringMatching(/^024_x\.checks\.yml\[5\]\.concurrent\.times: /),
      '024_x.checks.yml[5].then: a concurrent check needs then: { sql, expect }',
    ]);
  });
});
