import { describe, expect, it } from 'vitest';
import { describeRollback, planRollback } from '../../src/deploy/rollback-plan.js';

const downs =
  (...ids: string[]) =>
  (id: string) =>
    ids.includes(id);

describe('what a rollback can undo', () => {
  it.each([
    {
      applied: ['001', '013', '024'],
      down: ['024'],
      undo: ['024'],
      keep: ['001', '013'],
      missing: ['001', '013'],
    },
    {
      applied: ['001', '013', '024'],
      down: ['001', '013', '024'],
      undo: ['024', '013', '001'],
      keep: [],
      missing: [],
    },
    {
      applied: ['001', '013', '024'],
      down: ['001', '024'],
      undo: ['024'],
      keep: ['001', '013'],
      missing: ['013'],
    },
    { applied: ['001', '013'], down: [], undo: [], keep: ['001', '013'], missing: ['001', '013'] },
    { applied: [], down: [], undo: [], keep: [], missing: [] },
  ])(
    'applied $applied with down files for $down → undo $undo, keep $keep',
    ({ applied, down, undo, keep, missing }) => {
      expect(planRollback(applied, downs(...down))).toEqual({ undo, keep, missingDown: missing });
    },
  );

  it('says exactly what will and will not happen', () => {
    expect(describeRollback(planRollback(['001', '013', '024'], downs('024')), 'production')).toBe(
      'Will undo on production, newest first: `024` (`024.down.sql`). `001`, `013` stay applied: no down file for `001`, `013` (write `001.down.sql`, `013.down.sql` or undo by hand).',
    );
    expect(describeRollback(planRollback(['024'], downs('024')), 'staging')).toBe(
      'Will undo on staging, newest first: `024` (`024.down.sql`). That is everything this run applied there.',
    );
    expect(describeRollback(planRollback(['001'], downs()), 'staging')).toBe(
      'Nothing can be rolled back on staging: no down file for `001` (write `001.down.sql` or undo by hand).',
    );
  });
});
