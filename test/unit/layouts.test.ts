import { describe, expect, it } from 'vitest';
import { findMigration } from '../../src/deploy/files.js';
import { dbmateSections } from '../../src/deploy/layouts/dbmate.js';
import { describeLayout, detectLayout, LAYOUTS } from '../../src/deploy/layouts/detect.js';
import { groupByLayout } from '../../src/deploy/layouts/group.js';
import type { LayoutName } from '../../src/deploy/layouts/model.js';

const group = (layout: LayoutName, paths: string[]) =>
  groupByLayout(
    LAYOUTS[layout],
    paths.map((path) => ({ path, value: path })),
  );
const ids = (layout: LayoutName, paths: string[]) => group(layout, paths).migrations.map((m) => m.id);

describe('each layout names its migrations as its tool writes them', () => {
  it.each([
    ['plain', '024_atomic.sql', { id: '024_atomic', version: '024', kind: 'up' }],
    ['plain', '0001-add-users.sql', { id: '0001-add-users', version: '0001', kind: 'up' }],
    ['plain', '0001-add-users.down.sql', { id: '0001-add-users', kind: 'down' }],
    ['plain', '024_atomic.checks.yml', { id: '024_atomic', kind: 'checks' }],
    [
      'prisma',
      '20240101000000_init/migration.sql',
      { id: '20240101000000_init', version: '20240101000000_init' },
    ],
    ['prisma', '20240101000000_init/down.sql', { id: '20240101000000_init', kind: 'down' }],
    ['prisma', '20240101000000_init/migration.checks.yml', { kind: 'checks' }],
    [
      'supabase',
      '20240101000000_publications.sql',
      { id: '20240101000000_publications', version: '20240101000000' },
    ],
    [
      'golang-migrate',
      '0190_2.16.0_schema.up.sql',
      { id: '0190_2.16.0_schema', version: '0190', kind: 'up' },
    ],
    ['golang-migrate', '0190_2.16.0_schema.down.sql', { id: '0190_2.16.0_schema', kind: 'down' }],
    [
      'dbmate',
      '20240101000000_create_users.sql',
      { id: '20240101000000_create_users', version: '20240101000000' },
    ],
    [
      'flyway',
      'V18__index_end_time.sql',
      { id: 'V18__index_end_time', version: '18', order: [18n], kind: 'up' },
    ],
    ['flyway', 'V13.1__split.sql', { id: 'V13.1__split', version: '13.1', order: [13n, 1n] }],
    ['flyway', 'V1_1__underscores.sql', { version: '1.1', order: [1n, 1n] }],
    ['flyway', 'V2.0__zero.sql', { version: '2.0', order: [2n] }],
    ['flyway', 'U18__index_end_time.sql', { id: 'V18__index_end_time', kind: 'down' }],
    ['flyway', 'sub/V3__in_a_folder.sql', { id: 'V3__in_a_folder' }],
  ] as const)('%s: %s', (layout, path, expected) => {
    expect(LAYOUTS[layout].role(path)).toMatchObject(expected);
  });

  it.each([
    ['plain', 'migration_lock.toml'],
    ['plain', 'README.md'],
    ['plain', 'sub/001_a.sql'],
    ['prisma', 'migration_lock.toml'],
    ['prisma', '20240101000000_init/README.md'],
    ['flyway', '.hidden/V1__a.sql'],
  ] as const)('%s ignores %s', (layout, path) => {
    expect(LAYOUTS[layout].role(path)).toBeUndefined();
  });
});

describe('misnamed files get a rename in their layout, with the next free number', () => {
  it.each([
    ['plain', ['001_a.sql', 'Add-Users.sql'], 'Add-Users.sql: rename it to 002_add_users.sql'],
    ['plain', ['0041-a.sql', 'notes.sql'], 'notes.sql: rename it to 0042_notes.sql'],
    [
      'prisma',
      ['20240101000000_init/migration.sql', 'extra.sql'],
      'move it to 20240101000001_extra/migration.sql',
    ],
    ['prisma', ['init/migration.sql'], 'init/: rename the folder to 20240101000000_init'],
    ['supabase', ['20240101000000_a.sql', 'b.sql'], 'b.sql: rename it to 20240101000001_b.sql'],
    ['golang-migrate', ['000001_a.up.sql', '000002_b.sql'], 'rename it to 000002_b.up.sql'],
    ['dbmate', ['20240101000000_a.sql', 'b.sql'], 'b.sql: rename it to 20240101000001_b.sql'],
    ['flyway', ['V1__a.sql', 'V2_b.sql'], 'V2_b.sql: rename it to V2__b.sql'],
    ['flyway', ['V1__a.sql', 'R__views.sql'], 'a Flyway repeatable migration'],
    ['flyway', ['V1__a.sql', 'afterMigrate.sql'], 'a Flyway callback'],
  ] as const)('%s: %j', (layout, paths, problem) => {
    const g = group(layout, [...paths]);
    expect(g.problems.join('\n')).toContain(problem);
    expect(g.problems.join('\n')).not.toContain('NNN');
  });

  it('says what to do with a repeatable migration', () => {
    expect(group('flyway', ['R__views.sql']).problems[0]).toBe(
      'R__views.sql: a Flyway repeatable migration (run again whenever its checksum changes, after the versioned ones); migration-gate does not run repeatable migrations yet: apply it by hand with psql, or make it a versioned migration V<next version>__views.sql',
    );
  });
});

describe('order, pairs and duplicates', () => {
  it('orders flyway versions part by part as numbers', () => {
    expect(
      ids('flyway', [
        'V13.1__b.sql',
        'V2__a.sql',
        'V13__a.sql',
        'V13.10__d.sql',
        'V13.2__c.sql',
        'V100__z.sql',
      ]),
    ).toEqual(['V2__a', 'V13__a', 'V13.1__b', 'V13.2__c', 'V13.10__d', 'V100__z']);
  });
  it('orders the others by their leading number, not as text', () => {
    expect(ids('plain', ['1000_d.sql', '999_c.sql', '0010-b.sql'])).toEqual(['0010-b', '999_c', '1000_d']);
    expect(ids('golang-migrate', ['10_b.up.sql', '9_a.up.sql', '9_a.down.sql'])).toEqual(['9_a', '10_b']);
  });
  it('pairs a flyway undo file by version, and refuses two files of one version', () => {
    const g = group('flyway', ['V1__a.sql', 'U1__undo_a.sql', 'V2__b.sql', 'V2.0__c.sql']);
    expect(g.migrations.map((m) => [m.id, m.downPath])).toEqual([
      ['V1__a', 'U1__undo_a.sql'],
      ['V2.0__c', undefined],
    ]);
    expect(g.problems).toEqual([
      'V2__b.sql: version 2 is also used by V2.0__c.sql; give each migration its own number',
    ]);
  });
  it('keeps prisma folders that share a timestamp apart (prisma orders them by name)', () => {
    expect(ids('prisma', ['1_b/migration.sql', '1_a/migration.sql', 'migration_lock.toml'])).toEqual([
      '1_a',
      '1_b',
    ]);
  });
  it('puts checks files beside a migration in every layout', () => {
    expect(group('prisma', ['1_a/migration.sql', '1_a/migration.checks.yml']).migrations[0]!.checksPath).toBe(
      '1_a/migration.checks.yml',
    );
    expect(group('flyway', ['V1__a.sql', 'V1__a.checks.yml']).migrations[0]!.checksPath).toBe(
      'V1__a.checks.yml',
    );
    expect(group('golang-migrate', ['1_a.checks.yml']).problems).toEqual([
      '1_a.checks.yml: there is no 1_a.up.sql beside it',
    ]);
  });
});

describe('dbmate sections', () => {
  const file = ['-- migrate:up', 'create table t (id int);', '', '-- migrate:down', 'drop table t;', ''].join(
    '\n',
  );
  it('applies only the up section and keeps the down section as the down file, line numbers kept', () => {
    const s = dbmateSections(file);
    if ('problem' in s) throw new Error(s.problem);
    expect(s.up).toBe('-- migrate:up\ncreate table t (id int);\n\n');
    expect(s.down).toBe('\n\n\n-- migrate:down\ndrop table t;\n');
    expect(s.noTransaction).toBeUndefined();
  });
  it('reads transaction:false on either marker', () => {
    const s = dbmateSections(
      '-- migrate:up transaction:false\ncreate index concurrently i on t (a);\n-- migrate:down transaction:false\ndrop index concurrently i;\n',
    );
    expect(s).toMatchObject({
      noTransaction: '-- migrate:up transaction:false',
      downNoTransaction: '-- migrate:down transaction:false',
    });
  });
  it('has no down file when the down section is empty', () => {
    expect(dbmateSections('-- migrate:up\nselect 1;\n-- migrate:down\n')).not.toHaveProperty('down');
  });
  it.each([
    ['create table t ();', 'there is no `-- migrate:up` line'],
    ['-- migrate:down\ndrop table t;\n-- migrate:up\ncreate table t ();', 'needs the up section first'],
    ['create table x ();\n-- migrate:up\nselect 1;', 'line 1: SQL before `-- migrate:up`'],
  ])('refuses %j', (text, problem) => {
    const s = dbmateSections(text);
    expect('problem' in s && s.problem).toContain(problem);
  });
});

describe('auto detection', () => {
  const none = () => '';
  it.each([
    [['migration_lock.toml', '20240101000000_init/migration.sql'], '/p/prisma/migrations', 'prisma'],
    [['V1__init.sql', 'V1.1__more.sql'], '/p/db/migration', 'flyway'],
    [['000001_a.up.sql', '000001_a.down.sql'], '/p/migrations', 'golang-migrate'],
    [['001_a.sql', '001_a.down.sql', '001_a.checks.yml'], '/p/migrations', 'plain'],
    [['0001-a.sql'], '/p/migrations', 'plain'],
    [['20240101000000_a.sql'], '/p/supabase/migrations', 'supabase'],
    [[], '/p/migrations', 'plain'],
  ] as const)('%j in %s is %s', (paths, dir, layout) => {
    expect(detectLayout(paths, dir, none).layout.name).toBe(layout);
  });
  it('detects dbmate by its marker, and supabase by a BEGIN … COMMIT wrapper on timestamped files', () => {
    expect(
      detectLayout(['20240101000000_a.sql'], '/p/db/migrations', () => '-- migrate:up\nselect 1;\n').layout
        .name,
    ).toBe('dbmate');
    const wrapped = '-- publications\nbegin;\ncreate publication p;\ncommit;\n';
    expect(detectLayout(['20240101000000_a.sql'], '/p/db', () => wrapped).layout.name).toBe('supabase');
    expect(detectLayout(['001_a.sql'], '/p/db', () => wrapped).layout.name).toBe('plain');
  });
  it('says which it chose and why', () => {
    const d = detectLayout(['1_a/migration.sql'], '/p', none);
    expect(describeLayout({ name: d.layout.name, reason: d.reason, detected: d.detected })).toBe(
      'prisma (detected: folders named <timestamp>_name/ holding migration.sql)',
    );
  });
});

describe('findMigration by id, number, version or file name', () => {
  const all = [
    { id: '024_x', version: '024', fileName: '024_x.sql' },
    {
      id: '20240101000000_init',
      version: '20240101000000_init',
      fileName: '20240101000000_init/migration.sql',
    },
    { id: 'V18__index_end_time', version: '18', fileName: 'V18__index_end_time.sql' },
    { id: 'V13.1__split', version: '13.1', fileName: 'V13.1__split.sql' },
    { id: '0190_2.16.0_schema', version: '0190', fileName: '0190_2.16.0_schema.up.sql' },
    { id: '0001-dashed', version: '0001', fileName: '0001-dashed.sql' },
  ];
  it.each([
    ['24', '024_x'],
    ['024_x.sql', '024_x'],
    ['20240101000000_init', '20240101000000_init'],
    ['20240101000000_init/migration.sql', '20240101000000_init'],
    ['20240101000000_init/', '20240101000000_init'],
    ['20240101000000', '20240101000000_init'],
    ['V18__index_end_time', 'V18__index_end_time'],
    ['V18__index_end_time.sql', 'V18__index_end_time'],
    ['18', 'V18__index_end_time'],
    ['V18', 'V18__index_end_time'],
    ['13.1', 'V13.1__split'],
    ['0190_2.16.0_schema', '0190_2.16.0_schema'],
    ['0190_2.16.0_schema.up.sql', '0190_2.16.0_schema'],
    ['190', '0190_2.16.0_schema'],
    ['1', '0001-dashed'],
    ['0001-dashed.sql', '0001-dashed'],
  ])('%s finds %s', (wanted, id) => {
    expect(findMigration(all, wanted)?.id).toBe(id);
  });
  it('finds nothing for a number no migration has', () => {
    expect(findMigration(all, '25')).toBeUndefined();
  });
});
