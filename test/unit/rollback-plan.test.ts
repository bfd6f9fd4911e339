import { describe, expect, it } from 'vitest';
import type { LayoutName } from '../../src/deploy/layouts/model.js';
import { describeRollback, downFileNames, noDownFile, planRollback } from '../../src/deploy/rollback-plan.js';

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

describe('the down file is named as the layout names it', () => {
  // Per layout: a migration with a down file (as discovered), one without, its up file's name, and the sentences.
  it.each<{
    layout: LayoutName;
    has: { id: string; downFileName: string };
    lacks: { id: string; fileName: string };
    undo: string;
    write: string;
    plain: string;
  }>([
    {
      layout: 'plain',
      has: { id: '002_b', downFileName: '002_b.down.sql' },
      lacks: { id: '001_a', fileName: '001_a.sql' },
      undo: '`002_b` (`002_b.down.sql`)',
      write: '`001_a.down.sql`',
      plain: 'No down file for 001_a.sql: write 001_a.down.sql or roll back by hand.',
    },
    {
      layout: 'golang-migrate',
      has: { id: '0002_1.7.0_schema', downFileName: '0002_1.7.0_schema.down.sql' },
      lacks: { id: '0001_users', fileName: '0001_users.up.sql' },
      undo: '`0002_1.7.0_schema` (`0002_1.7.0_schema.down.sql`)',
      write: '`0001_users.down.sql`',
      plain: 'No down file for 0001_users.up.sql: write 0001_users.down.sql or roll back by hand.',
    },
    {
      layout: 'flyway',
      has: { id: 'V1.1__person_email', downFileName: 'undo/U1.1__drop_email.sql' },
      lacks: { id: 'V1__create_person', fileName: 'V1__create_person.sql' },
      undo: '`V1.1__person_email` (`undo/U1.1__drop_email.sql`)',
      write: '`U1__create_person.sql`',
      plain: 'No down file for V1__create_person.sql: write U1__create_person.sql or roll back by hand.',
    },
    {
      layout: 'dbmate',
      has: { id: '20240102000000_audit', downFileName: '20240102000000_audit.sql (-- migrate:down)' },
      lacks: { id: '20240101000000_users', fileName: '20240101000000_users.sql' },
      undo: '`20240102000000_audit` (the `-- migrate:down` section of `20240102000000_audit.sql`)',
      write: 'the `-- migrate:down` section of `20240101000000_users.sql`',
      plain:
        'No down file for 20240101000000_users.sql: write the `-- migrate:down` section of `20240101000000_users.sql` or roll back by hand.',
    },
    {
      layout: 'prisma',
      has: { id: '20240102000000_touch', downFileName: '20240102000000_touch/down.sql' },
      lacks: { id: '20240101000000_init', fileName: '20240101000000_init/migration.sql' },
      undo: '`20240102000000_touch` (`20240102000000_touch/down.sql`)',
      write: '`20240101000000_init/down.sql`',
      plain:
        'No down file for 20240101000000_init/migration.sql: write 20240101000000_init/down.sql or roll back by hand.',
    },
    {
      layout: 'supabase',
      has: { id: '20240102000000_b', downFileName: '20240102000000_b.down.sql' },
      lacks: { id: '20240101000000_a', fileName: '20240101000000_a.sql' },
      undo: '`20240102000000_b` (`20240102000000_b.down.sql`)',
      write: '`20240101000000_a.down.sql`',
      plain: 'No down file for 20240101000000_a.sql: write 20240101000000_a.down.sql or roll back by hand.',
    },
  ])('$layout', ({ layout, has, lacks, undo, write, plain }) => {
    const folder = { layout: { name: layout }, migrations: [{ id: lacks.id }, has] };
    const plan = planRollback([lacks.id, has.id], downs(has.id), downFileNames(folder));
    expect(describeRollback(plan, 'production')).toBe(
      `Will undo on production, newest first: ${undo}. \`${lacks.id}\` stays applied: no down file for \`${lacks.id}\` (write ${write} or undo by hand).`,
    );
    expect(noDownFile([lacks], layout)).toBe(plain);
  });
});
