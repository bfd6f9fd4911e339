import { describe, expect, it } from 'vitest';
import { findMigration, groupMigrationFiles, parseMigrationFileName } from '../../src/deploy/files.js';
import { planPending } from '../../src/deploy/ledger.js';
import { byteToCharOffset, lineColAt, skipTrivia } from '../../src/deploy/position.js';
import { redact, redactDeep } from '../../src/deploy/redact.js';

describe('migration file names', () => {
  it.each([
    [
      '024_atomic_user_behavior_updates.sql',
      { ok: true, version: '024', id: '024_atomic_user_behavior_updates', kind: 'up' },
    ],
    ['024_atomic.down.sql', { ok: true, kind: 'down', id: '024_atomic' }],
    ['024_atomic.checks.yml', { ok: true, kind: 'checks' }],
  ])('%s is accepted', (name, expected) => {
    expect(parseMigrationFileName(name)).toMatchObject(expected);
  });

  it.each([
    ['Add-Users.sql', 'rename it to 001_add_users.sql'],
    ['24_x.sql', 'rename it to 024_x.sql'],
    ['024_Users.sql', 'rename it to 024_users.sql'],
    ['024_x.checks.yaml', 'rename it to 024_x.checks.yml'],
    ['notes.txt', 'not a migration file'],
  ])('%s is refused with a fix', (name, fix) => {
    const r = parseMigrationFileName(name);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toContain(fix);
  });

  it('groups files, sorts by number and reports orphans and duplicate versions', () => {
    const g = groupMigrationFiles(
      [
        '010_b.sql',
        '002_a.sql',
        '002_a.down.sql',
        '003_orphan.down.sql',
        '010_c.sql',
        'README.md',
        'deploy.yml',
        '.gitkeep',
      ].map((file) => ({ file, value: file })),
    );
    expect(g.migrations.map((m) => m.id)).toEqual(['002_a', '010_b']);
    expect(g.migrations[0]!.down).toBe('002_a.down.sql');
    expect(g.problems).toEqual([
      '003_orphan.down.sql: there is no 003_orphan.sql beside it',
      '010_c.sql: version 010 is also used by 010_b.sql; give each migration its own number',
    ]);
  });

  it('finds a migration by id, file name or number', () => {
    const all = [{ id: '024_x', version: '024' }];
    expect(findMigration(all, '024_x')?.id).toBe('024_x');
    expect(findMigration(all, '024_x.sql')?.id).toBe('024_x');
    expect(findMigration(all, '24')?.id).toBe('024_x');
    expect(findMigration(all, '025')).toBeUndefined();
  });
});

describe('planPending', () => {
  const f = (id: string, checksum = `sum-${id}`) => ({ id, version: id.slice(0, 3), checksum });
  const l = (id: string, checksum = `sum-${id}`) => ({
    id,
    version: id.slice(0, 3),
    checksum,
    appliedAt: 't',
    appliedBy: null,
    runId: null,
  });
  it('applies what is missing up to the target, in order', () => {
    const p = planPending([f('001_a'), f('002_b'), f('003_c')], [l('001_a')], '002_b');
    expect(p.pending.map((x) => x.id)).toEqual(['002_b']);
    expect(p.drift).toEqual([]);
  });
  it('finds drift anywhere, unknown ledger rows and out-of-order files', () => {
    const p = planPending(
      [f('001_a', 'new'), f('002_b'), f('003_c')],
      [l('001_a', 'old'), l('003_c'), l('009_gone')],
      '003_c',
    );
    expect(p.drift).toEqual([{ id: '001_a', ledgerChecksum: 'old', fileChecksum: 'new', appliedAt: 't' }]);
    expect(p.unknown.map((u) => u.id)).toEqual(['009_gone']);
    expect(p.outOfOrder).toEqual(['002_b']);
  });
});

describe('positions', () => {
  it('line and column are 1-based and count characters', () => {
    expect(lineColAt('ab\ncdé\nx', 7)).toEqual({ line: 3, column: 1 });
    expect(lineColAt('ab\ncdé\nx', 5)).toEqual({ line: 2, column: 3 });
  });
  it('converts UTF-8 byte offsets to character offsets', () => {
    expect(byteToCharOffset('é;select', 3)).toBe(2);
  });
  it('skips white space and comments', () => {
    const t = '\n -- note\n /* c */ select 1';
    expect(t.slice(skipTrivia(t, 0))).toBe('select 1');
  });
});

describe('redact', () => {
  it('removes listed secrets, URL passwords and Slack tokens', () => {
    expect(
      redact('url postgres://app:hunter2@db:5432/x token xoxb-123-abcdef secret s3cr3t', ['s3cr3t']),
    ).toBe('url postgres://app:[redacted]@db:5432/x token [redacted] secret [redacted]');
    expect(redactDeep({ a: ['s3cr3t'], n: 1 }, ['s3cr3t'])).toEqual({ a: ['[redacted]'], n: 1 });
  });
});
