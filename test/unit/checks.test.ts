import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { failed, skippedOutsideRun } from '../../src/deploy/check-results.js';
import type { Check } from '../../src/deploy/check-schema.js';
import { type CheckResult, parseChecks, summarize } from '../../src/deploy/checks.js';
import { checkStatementProblems } from '../../src/target/files.js';

function checks(yaml: string): Check[] {
  const parsed = parseChecks(parse(yaml), 'x.checks.yml');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.checks;
}

describe('one statement per SQL text, judged by PostgreSQL’s parser', () => {
  it('refuses several statements in sql, setup, then and cleanup, naming the check, its file and the key', async () => {
    const problems = await checkStatementProblems(
      checks(`
- { name: read-only holds, sql: "select 1; commit; create table x (id int)", expect: 1 }
- name: race
  concurrent: { times: 2, sql: "select 1; select 2", setup: "insert into a values (1); insert into b values (2)" }
  then: { sql: "select 1; rollback", expect: 1 }
  cleanup: "delete from a; delete from b"
`),
    );
    expect(problems).toEqual([
      'x.checks.yml[0] `read-only holds`: one statement per sql; found 3. A check sends one statement, so that it cannot leave its read-only transaction: put each query in a check of its own.',
      'x.checks.yml[1] `race`: one statement per concurrent.setup; found 2. A check sends one statement at a time: combine them into one (a WITH … statement, or a function call).',
      'x.checks.yml[1] `race`: one statement per concurrent.sql; found 2. A check sends one statement at a time: combine them into one (a WITH … statement, or a function call).',
      'x.checks.yml[1] `race`: one statement per then.sql; found 2. A check sends one statement at a time: combine them into one (a WITH … statement, or a function call).',
      'x.checks.yml[1] `race`: one statement per cleanup; found 2. A check sends one statement at a time: combine them into one (a WITH … statement, or a function call).',
    ]);
  });

  it('accepts one statement however it is written: semicolons in strings, bodies and comments, a trailing one', async () => {
    const ok = checks(`
- { name: a, sql: "select ';' as s; -- one; more", expect: ";" }
- { name: b, sql: "select 1;", expect: 1 }
- { name: c, sql: "do $$ begin perform 1; perform 2; end $$", expect: empty, writes: true }
- name: d
  concurrent: { times: 2, sql: "select 1", setup: "with w as (insert into a values (1) returning id) insert into b select id from w" }
  then: { sql: "select 1", expect: 1 }
  cleanup: "with x as (delete from b) delete from a"
- { name: e, table: users }
`);
    expect(await checkStatementProblems(ok)).toEqual([]);
  });

  it('reports SQL the parser cannot read, and an empty one, with where and what to do', async () => {
    const problems = await checkStatementProblems(
      checks(`
- { name: typo, sql: "select count(*) frm users", expect: 0 }
- { name: nothing, sql: "-- to do", expect: 0 }
`),
    );
    expect(problems).toEqual([
      'x.checks.yml[0] `typo`: sql is not valid SQL (line 1, column 21: syntax error at or near "users"); fix it and try again',
      'x.checks.yml[1] `nothing`: one statement per sql; found 0. Write the query to run there.',
    ]);
  });

  it('then and cleanup belong to concurrent checks; elsewhere they would be ignored, so they are refused', () => {
    const parsed = parseChecks(
      parse(`
- { name: a, sql: "select 1", expect: 1, cleanup: "delete from t" }
- { name: b, table: t, then: { sql: "select 1", expect: 1 } }
`),
      'x.checks.yml',
    );
    expect(parsed).toEqual({
      ok: false,
      problems: [
        'x.checks.yml[0].cleanup: cleanup: works with concurrent checks only',
        'x.checks.yml[1].then: then: works with concurrent checks only',
      ],
    });
  });
});

describe('outside a run, rows_unchanged is skipped with why and never fails', () => {
  it('gives a skipped result for rows_unchanged only, and the summary leaves it out of pass and fail', () => {
    const [listed, all, other] = checks(`
- { name: zero rows lost, rows_unchanged: [users, workspaces] }
- { name: nothing lost anywhere, rows_unchanged: true, severity: warning }
- { name: users exist, table: users }
`);
    const a = skippedOutsideRun(listed!)!;
    expect(a).toMatchObject({
      status: 'skipped',
      target: 'row counts of 2 tables unchanged',
      actual: 'skipped: compares with the row counts a deploy takes first',
    });
    const b = skippedOutsideRun(all!)!;
    expect(b.target).toBe('row counts of every table unchanged');
    expect(skippedOutsideRun(other!)).toBeUndefined();
    const pass: CheckResult = { ...a, name: 'users exist', status: 'pass', actual: 'table' };
    expect(summarize([a, b, pass])).toEqual({
      passed: 1,
      total: 1,
      warnings: 0,
      blockersFailed: 0,
      skipped: 2,
    });
    expect(failed(a)).toBe(false);
  });
});
