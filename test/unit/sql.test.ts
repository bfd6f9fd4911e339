import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, splitStatements, statementProblems, statementsToRun } from '../../src/target/sql.js';

beforeAll(() => loadParser());

describe('splitStatements (libpg-query)', () => {
  it('splits on real statement boundaries, not on semicolons in strings, comments or bodies', () => {
    const sql = [
      '-- a comment; with a semicolon',
      "create table t (v text default 'a;b');",
      'create function f() returns int language sql as $$ select 1; $$;',
      "insert into t values ('é;');",
    ].join('\n');
    const r = splitStatements(sql);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.statements.map((s) => s.kind)).toEqual(['CreateStmt', 'CreateFunctionStmt', 'InsertStmt']);
    expect(r.statements.map((s) => s.at)).toEqual([
      { line: 2, column: 1 },
      { line: 3, column: 1 },
      { line: 4, column: 1 },
    ]);
    expect(r.statements[2]!.sql.trim()).toBe("insert into t values ('é;')");
  });

  it('reports a syntax error with line and column', () => {
    expect(splitStatements('select 1;\nselect frm where;')).toEqual({
      ok: false,
      message: 'syntax error at or near ";"',
      at: { line: 2, column: 17 },
    });
  });

  it('knows which statements cannot run in a transaction', () => {
    const r = splitStatements(
      "create index concurrently i on t (a); drop index concurrently i; vacuum t; alter type e add value 'x'; reindex index concurrently i;",
      110000,
    );
    if (!r.ok) throw new Error(r.message);
    expect(r.statements.map((s) => s.noTransaction)).toEqual([
      'CREATE INDEX CONCURRENTLY',
      'DROP INDEX CONCURRENTLY',
      'VACUUM',
      'ALTER TYPE … ADD VALUE (before PostgreSQL 12)',
      'REINDEX CONCURRENTLY',
    ]);
    const modern = splitStatements("alter type e add value 'x'; create index i on t (a);", 150000);
    if (!modern.ok) throw new Error();
    expect(modern.statements.map((s) => s.noTransaction)).toEqual([undefined, undefined]);
  });

  it('refuses BEGIN/COMMIT inside a file', () => {
    const r = splitStatements('begin;\nselect 1;\ncommit;');
    if (!r.ok) throw new Error();
    expect(statementProblems(r.statements)).toHaveLength(2);
  });
});

describe('a BEGIN; … COMMIT; wrapper (supabase)', () => {
  const split = (sql: string) => {
    const r = splitStatements(sql);
    if (!r.ok) throw new Error(r.message);
    return r.statements;
  };
  const wrapped = 'begin;\ncreate publication p;\nalter publication p add table t;\ncommit;\n';
  it('is the file’s transaction when the layout allows it: not an error, and not sent', () => {
    expect(statementProblems(split(wrapped), { transactionWrapper: true })).toEqual([]);
    expect(statementsToRun(split(wrapped), { transactionWrapper: true }).map((s) => s.kind)).toEqual([
      'CreatePublicationStmt',
      'AlterPublicationStmt',
    ]);
    expect(statementProblems(split(wrapped))).toHaveLength(2);
  });
  it('refuses any other BEGIN/COMMIT with its line, and CONCURRENTLY inside the wrapper', () => {
    expect(
      statementProblems(split('begin;\nselect 1;\ncommit;\nbegin;\nselect 2;\ncommit;\n'), {
        transactionWrapper: true,
      }),
    ).toEqual([
      "line 3:1: remove this BEGIN/COMMIT/ROLLBACK; only one BEGIN; … COMMIT; around the whole file is allowed (it is the file's transaction)",
      "line 4:1: remove this BEGIN/COMMIT/ROLLBACK; only one BEGIN; … COMMIT; around the whole file is allowed (it is the file's transaction)",
    ]);
    expect(
      statementProblems(split('begin;\ncreate index concurrently i on t (a);\ncommit;'), {
        transactionWrapper: true,
      }),
    ).toEqual([
      "line 2:1: CREATE INDEX CONCURRENTLY cannot run inside the file's BEGIN; … COMMIT;; move it to a file of its own without them",
    ]);
  });
  it('runs a file that asks for it outside a transaction, saying why', () => {
    const run = statementsToRun(split('create table a (); create table b ();'), {
      noTransaction: '-- migrate:up transaction:false',
    });
    expect(run[0]!.noTransaction).toBe('-- migrate:up transaction:false');
  });
});
