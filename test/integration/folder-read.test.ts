/** The migrations folder is read and hashed once while its files stay as they are; any change is read again. */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverMigrations } from '../../src/target/files.js';

describe('discoverMigrations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-folder-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, '001_a.sql'), 'create table a (id int);\n');
  writeFileSync(join(dir, '001_a.checks.yml'), 'checks: []\n');

  it('a folder whose files are unchanged is not read again: the same files come back', () => {
    const first = discoverMigrations(dir);
    expect(discoverMigrations(dir)).toBe(first);
  });

  it('a file written since (same size, later time) is read and hashed again', () => {
    const before = discoverMigrations(dir);
    writeFileSync(join(dir, '001_a.sql'), 'create table b (id int);\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, '001_a.sql'), later, later);
    const after = discoverMigrations(dir);
    expect(after).not.toBe(before);
    expect(after.migrations[0]!.checksum).not.toBe(before.migrations[0]!.checksum);
  });

  it('a file added or removed is a new read', () => {
    const before = discoverMigrations(dir);
    writeFileSync(join(dir, '002_b.sql'), 'select 1;\n');
    expect(discoverMigrations(dir).migrations.map((m) => m.id)).toEqual(['001_a', '002_b']);
    rmSync(join(dir, '002_b.sql'));
    expect(discoverMigrations(dir).migrations.map((m) => m.id)).toEqual(['001_a']);
    expect(before.migrations.map((m) => m.id)).toEqual(['001_a']);
  });
});
