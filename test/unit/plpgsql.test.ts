import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, splitStatements } from '../../src/target/sql.js';

beforeAll(() => loadParser());

const reasons = (sql: string) => {
  const r = splitStatements(sql);
  if (!r.ok) throw new Error(r.message);
  return r.statements.map((s) => s.noTransaction);
};

describe('PL/pgSQL that ends its transaction (the PL/pgSQL parser)', () => {
  it('a DO block that COMMITs runs outside a transaction, naming its line and the COMMIT’s', () => {
    const sql = [
      'create table t (id int);',
      'do $$',
      'begin',
      '  insert into t values (1);',
      '  commit;',
      'end $$;',
    ].join('\n');
    expect(reasons(sql)).toEqual([
      undefined,
      'the DO block at line 2 ends its transaction: COMMIT at line 5',
    ]);
  });

  it('finds a ROLLBACK nested in a loop, and ignores one in a string or a comment', () => {
    expect(
      reasons('do $b$ begin for i in 1..3 loop\n  if i = 2 then rollback; end if;\nend loop; end $b$;'),
    ).toEqual(['the DO block at line 1 ends its transaction: ROLLBACK at line 2']);
    expect(reasons("do $$ begin raise notice 'commit'; -- commit\nend $$;")).toEqual([undefined]);
  });

  it('a CALL of a procedure the file creates with a COMMIT runs outside; creating it alone does not', () => {
    const create = 'create procedure s.batch() language plpgsql as $$\nbegin\n  commit;\nend $$;';
    expect(reasons(create)).toEqual([undefined]);
    expect(reasons(`${create}\ncall s.batch();`)).toEqual([
      undefined,
      'the CALL at line 5 runs a procedure that ends its transaction: COMMIT at line 3',
    ]);
    expect(reasons('call other();')).toEqual([undefined]);
  });

  it('leaves functions, SQL-language bodies and DO blocks without COMMIT in the transaction', () => {
    expect(
      reasons(
        "create function f() returns int language plpgsql as $$ begin return 1; end $$;\ndo $$ begin perform f(); end $$;\ncreate procedure q() language sql as 'select 1';",
      ),
    ).toEqual([undefined, undefined, undefined]);
  });
});
