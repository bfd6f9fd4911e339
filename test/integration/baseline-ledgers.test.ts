import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markBaselined } from '../../src/target/baseline.js';
import { withTargetClient } from '../../src/target/client.js';
import { discoverMigrations } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import { readLedgers } from '../../src/target/foreign-ledgers.js';
import { createTestDatabase, query } from '../support/pg.js';

function folder(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'mg-baseline-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return discoverMigrations(dir).migrations;
}

const FILES = {
  '001_a.sql': 'create table a (id int);\n',
  '002_b.sql': 'create table b (id int);\n',
  '003_c.sql': 'create table c (id int);\n',
};

describe('markBaselined on a real database', () => {
  it('writes our rows as baselined and the tool ledger its rows, in one go; reading says baselined', async () => {
    const url = await createTestDatabase('mg_baseline');
    // dbmate's ledger, empty: the schema was loaded from a dump.
    await query(url, 'create table schema_migrations (version varchar(128) primary key)');
    const files = folder(FILES);
    const env = { name: 'staging', databaseUrl: url };
    const r = await markBaselined(env, files, '002_b', {
      by: 'U1',
      runId: 4,
      footprints: unrecorded,
      expected: ['001_a', '002_b'],
    });
    expect(r).toMatchObject({ ok: true, foreign: ['dbmate (schema_migrations)'] });
    expect(await query(url, 'select version from schema_migrations order by 1')).toEqual([
      { version: '001' },
      { version: '002' },
    ]);
    const own = await withTargetClient(env, unrecorded, (c) => readLedgers(c, files));
    expect(own.own.map((e) => [e.id, e.baselined, e.appliedBy, e.runId])).toEqual([
      ['001_a', true, 'U1', 4],
      ['002_b', true, 'U1', 4],
    ]);
    expect(await query(url, "select to_regclass('public.a') as a")).toEqual([{ a: null }]);
  });

  it('refuses drift and a list that changed since preflight, writing nothing', async () => {
    const url = await createTestDatabase('mg_baseline_drift');
    const env = { name: 'staging', databaseUrl: url };
    const files = folder(FILES);
    const changed = await markBaselined(env, files, '002_b', {
      by: 'U1',
      runId: 5,
      footprints: unrecorded,
      expected: ['001_a'],
    });
    expect(changed).toMatchObject({ ok: false, kind: 'invalid' });
    expect(changed.ok ? '' : changed.message).toContain(
      'nothing was marked, since that is not what was approved',
    );
    expect(await query(url, 'select count(*)::int as n from migration_gate.applied_migrations')).toEqual([
      { n: 0 },
    ]);
    await markBaselined(env, files, '001_a', { by: 'U1', runId: 5, footprints: unrecorded });
    const edited = folder({ ...FILES, '001_a.sql': 'create table a (id bigint);\n' });
    const drift = await markBaselined(env, edited, '002_b', { by: 'U1', runId: 6, footprints: unrecorded });
    expect(drift).toMatchObject({ ok: false, kind: 'drift', drift: [{ id: '001_a' }] });
    expect(await query(url, 'select id from migration_gate.applied_migrations')).toEqual([{ id: '001_a' }]);
  });
});
