/** Statements sent several per message still fail as themselves: the right statement, the right line and column. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineColAt } from '../../src/deploy/position.js';
import { runBatched, StatementError } from '../../src/target/batch.js';
import { loadParser, type Statement, splitStatements } from '../../src/target/sql.js';
import { createTestDatabase } from '../support/pg.js';

const FILE = `create table a (id int primary key); -- the first
insert into a values (1), (2);
create table b (id int, a_id int references a) -- a comment right before the semicolon
;
insert into b values (1, 1);
select id, nme from a;
insert into b values (2, 2);
`;

function parse(text: string): Statement[] {
  const r = splitStatements(text);
  if (!r.ok) throw new Error(r.message);
  return r.statements;
}

describe('runBatched', () => {
  let client: pg.Client;
  beforeAll(async () => {
    await loadParser();
    client = new pg.Client({ connectionString: await createTestDatabase('batch') });
    await client.connect();
  });
  afterAll(async () => client?.end());

  /** Run the file in a transaction; give back the failing statement and where its error points in the file. */
  async function failure(text: string, maxChars?: number) {
    const statements = parse(text);
    await client.query('begin');
    try {
      await runBatched(client, statements, { maxChars });
      return undefined;
    } catch (e) {
      if (!(e instanceof StatementError)) throw e;
      const err = e.failure as pg.DatabaseError;
      const st = statements[e.index]!;
      return { index: e.index, at: lineColAt(text, st.charStart + Number(err.position) - 1), code: err.code };
    } finally {
      await client.query('rollback');
    }
  }

  for (const maxChars of [undefined, 1, 60]) {
    it(`names the statement that failed and its line:column (batches of ${maxChars ?? 'any'} chars)`, async () => {
      expect(await failure(FILE, maxChars)).toEqual({ index: 4, at: { line: 6, column: 12 }, code: '42703' });
    });
  }

  it('a failure in the first statement of the message (nothing completed) points into it', async () => {
    expect(await failure('select nope from pg_class;\nselect 1;\n')).toEqual({
      index: 0,
      at: { line: 1, column: 8 },
      code: '42703',
    });
  });

  it('a runtime error without a position names its statement', async () => {
    const text =
      'create table c (id int primary key);\ninsert into c values (1);\ninsert into c values (1);\n';
    const statements = parse(text);
    await client.query('begin');
    const e = await runBatched(client, statements).catch((x: unknown) => x);
    await client.query('rollback');
    expect(e).toBeInstanceOf(StatementError);
    expect((e as StatementError).index).toBe(2);
    expect(((e as StatementError).failure as pg.DatabaseError).code).toBe('23505');
  });

  it('runs every statement when none fails, a comment before a semicolon included', async () => {
    const statements = parse(FILE.replace('nme', 'id'));
    await client.query('begin');
    await runBatched(client, statements);
    const { rows } = await client.query('select count(*)::int as n from b');
    await client.query('rollback');
    expect(rows).toEqual([{ n: 2 }]);
  });
});
