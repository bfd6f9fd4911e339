/** Which tables a statement names or creates, read from PostgreSQL's parse tree (the lock trace's probe choice). */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, splitStatements } from '../../src/target/sql.js';
import { isCreated } from '../../src/target/statement-relations.js';

function relations(sql: string) {
  const r = splitStatements(sql);
  if (!r.ok) throw new Error(r.message);
  return r.statements.map((s) => s.relations);
}

describe('statement relations', () => {
  beforeAll(loadParser);

  it('names what each statement touches and creates', () => {
    expect(
      relations(
        `create table t (id int references o (id)) inherits (p);
create index i on s.t (x);
comment on table bench_0 is 'x';
comment on column t.c is 'y';
drop table a.b, c;
create table t2 as select * from src;
alter table x rename to y;
create function f() returns int language sql as 'select 1';
do $$ begin perform 1; end $$;
drop type mood cascade;`,
      ),
    ).toEqual([
      { touched: ['o', 'p'], created: ['t'], unknown: false },
      { touched: ['s.t'], created: [], unknown: false },
      { touched: ['bench_0'], created: [], unknown: false },
      { touched: ['t'], created: [], unknown: false },
      { touched: ['a.b', 'c'], created: [], unknown: false },
      { touched: ['src'], created: ['t2'], unknown: false },
      { touched: ['x'], created: [], unknown: false },
      { touched: [], created: [], unknown: false },
      { touched: [], created: [], unknown: true },
      { touched: [], created: [], unknown: true },
    ]);
  });

  it('matches a created table by name, and by schema when both name one', () => {
    const created = new Set(['orders', 'audit.log']);
    expect(isCreated('orders', created)).toBe(true);
    expect(isCreated('public.orders', created)).toBe(true);
    expect(isCreated('audit.log', created)).toBe(true);
    expect(isCreated('log', created)).toBe(true);
    expect(isCreated('other.log', created)).toBe(false);
    expect(isCreated('customers', created)).toBe(false);
  });
});
