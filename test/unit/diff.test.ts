import { describe, expect, it } from 'vitest';
import {
  countSnapshot,
  diffSnapshots,
  isEmptyDiff,
  notableChanges,
  summarizeCounts,
  summarizeDiff,
} from '../../src/deploy/diff.js';
import type { Snapshot } from '../../src/deploy/snapshot.js';

const empty: Snapshot = {
  serverVersion: '15.18',
  databaseSize: 8_000_000,
  tables: [],
  columns: [],
  constraints: [],
  indexes: [],
  functions: [],
  policies: [],
  triggers: [],
  extensions: [],
  grants: [],
};
const table = (name: string) => ({
  schema: 'public',
  name,
  qname: `public.${name}`,
  kind: 'r',
  rls: false,
  forceRls: false,
  rowEstimate: 0,
});
const column = (t: string, name: string, type = 'integer') => ({
  table: `public.${t}`,
  name,
  type,
  notNull: false,
  default: null,
});

describe('snapshot diff', () => {
  const before: Snapshot = { ...empty, tables: [table('users')], columns: [column('users', 'id')] };
  const after: Snapshot = {
    ...empty,
    tables: [table('users'), table('events')],
    columns: [column('users', 'id', 'bigint'), column('users', 'email', 'text'), column('events', 'id')],
    constraints: [{ table: 'public.events', name: 'events_user_fk', type: 'f', definition: 'FOREIGN KEY …' }],
    functions: [
      {
        schema: 'public',
        name: 'f',
        args: 5,
        identityArgs: 'a uuid',
        returns: 'jsonb',
        securityDefiner: true,
        kind: 'f',
      },
    ],
  };

  it('summarises what was added, removed and changed', () => {
    const d = diffSnapshots(before, after);
    expect(summarizeDiff(d)).toBe('+1 table, +2 columns, +1 constraint, +1 function, 1 column changed');
    expect(d.columns.changed).toEqual(['public.users.id']);
    expect(summarizeCounts(countSnapshot(before), countSnapshot(after))).toBe(
      'tables 1 → 2; FKs 0 → 1; functions 0 → 1',
    );
  });

  it('names the notable changes without listing the insides of a new table', () => {
    const n = notableChanges(diffSnapshots(before, after));
    expect(n).toEqual([
      { what: 'tables', added: ['public.events'], removed: [], changed: [] },
      { what: 'columns', added: ['public.users.email'], removed: [], changed: ['public.users.id'] },
      { what: 'functions', added: ['public.f(a uuid)'], removed: [], changed: [] },
    ]);
  });

  it('ignores row estimates and size: an unchanged catalog is an empty diff', () => {
    const d = diffSnapshots(before, {
      ...before,
      databaseSize: 1,
      tables: [{ ...table('users'), rowEstimate: 99 }],
    });
    expect(isEmptyDiff(d)).toBe(true);
    expect(summarizeDiff(d)).toBe('no schema change');
  });
});
