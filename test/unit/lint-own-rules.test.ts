/** migration-gate's own lint rules read from the parse tree (src/lint/rules.ts) and where allows apply (allows.ts). */
import { beforeAll, describe, expect, it } from 'vitest';
import { allowComments } from '../../src/lint/allows.js';
import { type ParsedFile, parseMigration } from '../../src/lint/parse.js';
import { ownFindings } from '../../src/lint/rules.js';
import { loadParser } from '../../src/target/sql.js';

beforeAll(() => loadParser());

function parsed(sql: string): ParsedFile {
  const p = parseMigration(sql);
  if (!p.ok) throw new Error(p.message);
  return p.file;
}
/** rule @ line:column for each finding. */
const found = (sql: string) =>
  ownFindings('x.sql', parsed(sql)).map((f) => `${f.rule} @ ${f.line}:${f.column}`);
const messages = (sql: string) => ownFindings('x.sql', parsed(sql)).map((f) => f.message);

describe('our rules', () => {
  it('drop-function: a function, procedure or aggregate dropped and not created again', () => {
    expect(found('drop function f(int);\ndrop procedure p;\ndrop aggregate a(int);')).toEqual([
      'drop-function @ 1:1',
      'drop-function @ 2:1',
      'drop-function @ 3:1',
    ]);
    expect(messages('drop function public.f(integer, text[]);')[0]).toBe(
      'DROP FUNCTION public.f(int4, text[]): callers (the application, views, triggers, other functions) fail once it is gone, and nothing in this file creates it again.',
    );
  });

  it('replace-function: CREATE OR REPLACE, or a drop and a create with the same arguments', () => {
    expect(found("create or replace function f(a int) returns int language sql as 'select 1';")).toEqual([
      'replace-function @ 1:1',
    ]);
    expect(
      found("drop function f(int);\ncreate function f(b integer) returns int language sql as 'select b';"),
    ).toEqual(['replace-function @ 1:1']);
    // A plain CREATE of a new function is nothing to report.
    expect(found("create function g() returns int language sql as 'select 1';")).toEqual([]);
  });

  it('function-signature-change: other arguments after a drop, a rename, a move to another schema', () => {
    expect(
      found(
        "drop function f(int);\n\ncreate function f(int, text) returns int language sql as 'select 1';\nalter function g(int) rename to h;\nalter procedure p() set schema archive;",
      ),
    ).toEqual([
      'function-signature-change @ 1:1',
      'function-signature-change @ 4:1',
      'function-signature-change @ 5:1',
    ]);
    expect(
      messages("drop function f(int); create function f(int, text) returns int language sql as 'select 1';"),
    ).toEqual([
      'f(int4) is dropped and line 1 creates f(int4, text): callers passing the old arguments fail.',
    ]);
  });

  it('revoke: privileges, role membership and default privileges', () => {
    expect(
      found(
        'revoke select on orders from reporting;\nrevoke analyst from alice;\nalter default privileges revoke insert on tables from app;',
      ),
    ).toEqual(['revoke @ 1:1', 'revoke @ 2:1', 'revoke @ 3:1']);
    expect(messages('revoke select, update on orders, items from reporting;')[0]).toContain(
      'REVOKE select, update ON TABLE orders, items FROM reporting: whoever relied on it',
    );
    expect(found('grant select on orders to reporting;')).toEqual([]);
  });

  it('disable-row-level-security: DISABLE and NO FORCE, not ENABLE or FORCE', () => {
    expect(
      found(
        'alter table docs disable row level security;\nalter table docs no force row level security;\nalter table docs enable row level security, force row level security;',
      ),
    ).toEqual(['disable-row-level-security @ 1:1', 'disable-row-level-security @ 2:1']);
  });

  it('drop-policy', () => {
    expect(messages('drop policy tenant_isolation on app.docs;')).toEqual([
      'DROP POLICY tenant_isolation ON app.docs: which rows each role can read or write changes at once; check the policies left on the table.',
    ]);
  });

  it('security-definer-search-path: pointed at SECURITY DEFINER, fine once search_path is set', () => {
    expect(
      found(
        "create function f() returns int\n  language sql\n  security definer\n  as 'select 1';\nalter function g() security definer;",
      ),
    ).toEqual(['security-definer-search-path @ 3:3', 'security-definer-search-path @ 5:20']);
    expect(
      found(
        "create function f() returns int language sql security definer set search_path = pg_catalog, public as 'select 1';\nalter function g() security definer set search_path = '';\ncreate function h() returns int language sql security invoker as 'select 1';",
      ),
    ).toEqual([]);
    expect(
      found(
        "create function f() returns int language sql security definer set search_path to default as 'select 1';",
      ),
    ).toEqual(['security-definer-search-path @ 1:46']);
  });

  it('grant-to-public: pointed at PUBLIC, on objects and default privileges', () => {
    expect(
      found(
        'grant select on orders to reporting, public;\nalter default privileges in schema app grant execute on functions to public;\ngrant usage on schema app to app_user;',
      ),
    ).toEqual(['grant-to-public @ 1:38', 'grant-to-public @ 2:70']);
  });

  it('columns count characters, not bytes', () => {
    expect(found("select 'é😀'; grant select on t to public;")).toEqual(['grant-to-public @ 1:35']);
  });
});

describe('allow comments apply to one statement', () => {
  const placed = (sql: string) => allowComments('x.sql', parsed(sql)).map((a) => [a.line, a.statement]);

  it('the next statement, or the one it trails on the same line; never text inside a string', () => {
    const sql = [
      '-- migration-gate:allow revoke the role is retired', // applies to statement 0
      'revoke select on t from old_role;',
      "select '-- migration-gate:allow revoke not a comment';", // statement 1: a string, not a comment
      'revoke select on t from other; -- migration-gate:allow revoke trails statement 2',
      '/* just a note */',
      'grant select on t',
      '  -- migration-gate:allow grant-to-public inside statement 3',
      '  to public;',
      '-- migration-gate:allow revoke nothing after this',
    ].join('\n');
    expect(placed(sql)).toEqual([
      [1, 0],
      [4, 2],
      [7, 3],
      [9, -1],
    ]);
  });
});
