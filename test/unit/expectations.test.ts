import { describe, expect, it } from 'vitest';
import {
  compareNumber,
  type Expectation,
  evaluate,
  type QueryResult,
} from '../../src/deploy/expectations.js';

const one = (v: unknown, column = 'v'): QueryResult => ({ columns: [column], rows: [[v]] });
const rows = (...r: unknown[][]): QueryResult => ({ columns: ['id', 'name'], rows: r });

describe('evaluate', () => {
  it.each<[string, Expectation, QueryResult, boolean, string]>([
    ['a number equals', 5, one('5'), true, '5'],
    ['a number differs', 5, one(4), false, '4'],
    ['greater than', '> 0', one('3'), true, '3'],
    ['greater than, at the line', '> 0', one(0), false, '0'],
    ['at least', '>= 45', one(45), true, '45'],
    ['not equal', '!= 0', one(0), false, '0'],
    ['between, inclusive', 'between 1 and 5', one(5), true, '5'],
    ['between, outside', 'between 1 and 5', one(6), false, '6'],
    ['a string', 'jsonb', one('jsonb'), true, 'jsonb'],
    ['a regex', '/^atomic_/', one('atomic_update'), true, 'atomic_update'],
    ['a boolean', true, one(false), false, 'false'],
    ['NULL is shown', 0, one(null), false, 'NULL'],
    ['empty', 'empty', rows(), true, '0 rows'],
    ['empty, but rows came', 'empty', rows([1, 'a']), false, '1 row'],
    ['a row count', { rows: 2 }, rows([1, 'a'], [2, 'b']), true, '2 rows'],
    ['a row count comparison', { rows: '> 2' }, rows([1, 'a']), false, '1 row'],
    [
      'JSON equality ignores key order',
      { json: { b: 1, a: [1, 2] } },
      one({ a: [1, 2], b: 1 }),
      true,
      '{"a":[1,2],"b":1}',
    ],
    [
      'JSON contains',
      { contains: { total: 5 } },
      one('{"total": 5, "user": "x"}'),
      true,
      '{"total": 5, "user": "x"}',
    ],
    [
      'rows as arrays',
      [
        [1, 'a'],
        [2, 'b'],
      ],
      rows(['1', 'a'], ['2', 'b']),
      true,
      '[[1,"a"],[2,"b"]]',
    ],
    ['rows as objects', [{ id: 1, name: 'a' }], rows([1, 'a']), true, '[{"id":1,"name":"a"}]'],
  ])('%s', (_name, expectation, result, pass, actual) => {
    const v = evaluate(expectation, result);
    expect(v.pass).toBe(pass);
    expect(v.actual).toBe(actual);
  });

  it('a single-value expectation on a wide result says why it cannot apply', () => {
    const v = evaluate(5, rows([1, 'a'], [2, 'b']));
    expect(v).toMatchObject({
      pass: false,
      actual: '2 rows × 2 columns',
      problem: 'this expectation needs exactly one row with one column',
    });
  });

  it('a comparison against text says the value is not a number', () => {
    expect(evaluate('> 3', one('abc'))).toMatchObject({ pass: false, problem: 'the value is not a number' });
  });

  it('compareNumber is shared with thresholds', () => {
    expect(compareNumber(0.2, '> 0.1')).toBe(true);
    expect(compareNumber(1, 'maybe')).toBeUndefined();
  });
});
