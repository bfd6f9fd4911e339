import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { beforeEach, describe, expect, it } from 'vitest';
import { diffSnapshots, isEmptyDiff } from '../../src/deploy/diff.js';
import { applyMigrations } from '../../src/target/apply.js';
import { withTargetClient } from '../../src/target/client.js';
import { discoverMigrations, type MigrationFile } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import type { ApplySettings } from '../../src/target/run-file.js';
import { takeSnapshot } from '../../src/target/snapshot.js';
import { createTestDatabase, query } from '../support/pg.js';

function folder(files: Record<string, string>): MigrationFile[] {
  const dir = mkdtempSync(join(tmpdir(), 'mg-apply-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const { migrations, problems } = discoverMigrations(dir);
  expect(problems).toEqual([]);
  return migrations;
}

const ctx = { runId: 1, appliedBy: 'U1', footprints: unrecorded };

describe('applyMigrations on real PostgreSQL', () => {
  let env: ApplySettings & { databaseVar: string };
  beforeEach(async () => {
    const url = await createTestDatabase('mg_apply');
    env = {
      name: 'test',
      databaseUrl: url,
      databaseVar: 'TEST_DATABASE_URL',
      lockTimeoutMs: 200,
      statementTimeoutMs: 10_000,
      lockRetries: 3,
      retryBackoffMs: 100,
    };
  });

  it('retries when the lock timeout fires, then fails cleanly; other sessions are never stuck behind it', async () => {
    const files = folder({
      '001_t.sql': 'create table t (id int primary key, v text);\n',
      '002_add.sql': 'alter table t add column extra int;\n',
    });
    expect((await applyMigrations(env, files, '001_t', ctx)).ok).toBe(true);

    const holder = new pg.Client({ connectionString: env.databaseUrl });
    await holder.connect();
    await holder.query('begin; select * from t;'); // holds ACCESS SHARE until rollback
    const before = await withTargetClient(env, unrecorded, takeSnapshot);

    const events: string[] = [];
    const apply = applyMigrations(env, files, '002_add', {
      ...ctx,
      sleep: async (ms) => {
        events.push(`backoff ${ms}`);
        await new Promise((r) => setTimeout(r, ms));
      },
    }).then((r) => {
      events.push('apply ended');
      return r;
    });
    // A third session reading t while the ALTER waits: it queues behind the ALTER's lock request,
    // so it must be released by the lock timeout, long before the apply gives up.
    await new Promise((r) => setTimeout(r, 50));
    const reader = query(env.databaseUrl, 'select count(*)::int as n from t').then((r) => {
      events.push('reader done');
      return r;
    });
    const [outcome, rows] = await Promise.all([apply, reader]);
    await holder.query('rollback');
    await holder.end();

    expect(rows).toEqual([{ n: 0 }]);
    expect(events.indexOf('reader done')).toBeLessThan(events.indexOf('apply ended'));
    expect(events.filter((e) => e.startsWith('backoff'))).toEqual([
      'backoff 100',
      'backoff 200',
      'backoff 400',
    ]);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failure?.lockRetries).toBe(3);
    expect(outcome.failure?.error.code).toBe('55P03');
    expect(outcome.failure?.error.message).toContain('lock timeout');
    const after = await withTargetClient(env, unrecorded, takeSnapshot);
    expect(isEmptyDiff(diffSnapshots(before, after))).toBe(true);
    const ledger = await query(
      env.databaseUrl,
      'select id from migration_gate.applied_migrations order by id',
    );
    expect(ledger).toEqual([{ id: '001_t' }]);
  });

  it('succeeds on a later attempt once the lock is released', async () => {
    const files = folder({
      '001_t.sql': 'create table t (id int);\n',
      '002_add.sql': 'alter table t add column c int;\n',
    });
    await applyMigrations(env, files, '001_t', ctx);
    const holder = new pg.Client({ connectionString: env.databaseUrl });
    await holder.connect();
    await holder.query('begin; lock table t in access share mode;');
    const apply = applyMigrations(env, files, '002_add', ctx);
    // Release only once the first attempt has surely timed out: a fixed delay from the start depends on how
    // quickly a busy machine reaches the ALTER.
    const watcher = new pg.Client({ connectionString: env.databaseUrl });
    await watcher.connect();
    for (;;) {
      const { rows } = await watcher.query('select count(*)::int as n from pg_locks where not granted');
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await watcher.end();
    setTimeout(() => void holder.query('rollback').then(() => holder.end()), 250);
    const outcome = await apply;
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.applied[0]!.lockRetries).toBeGreaterThanOrEqual(1);
    const cols = await query(
      env.databaseUrl,
      "select column_name from information_schema.columns where table_name = 't' order by 1",
    );
    expect(cols).toEqual([{ column_name: 'c' }, { column_name: 'id' }]);
  });

  it('runs CREATE INDEX CONCURRENTLY outside a transaction and says so', async () => {
    const files = folder({
      '001_t.sql': 'create table t (id int, v int);\n',
      '002_idx.sql': 'create index concurrently t_v on t (v);\n',
    });
    const outcome = await applyMigrations(env, files, '002_idx', ctx);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.applied.map((a) => a.outsideTransaction)).toEqual([
      undefined,
      'CREATE INDEX CONCURRENTLY',
    ]);
    const idx = await query(
      env.databaseUrl,
      "select indisvalid from pg_index where indexrelid = 't_v'::regclass",
    );
    expect(idx).toEqual([{ indisvalid: true }]);
  });

  it('refuses a file with BEGIN/COMMIT before touching the target', async () => {
    const files = folder({ '001_tx.sql': 'begin;\ncreate table t (id int);\ncommit;\n' });
    const outcome = await applyMigrations(env, files, '001_tx', ctx);
    expect(outcome).toMatchObject({ ok: false, kind: 'invalid' });
    if (!outcome.ok) expect(outcome.message).toContain('line 1:1: remove BEGIN/COMMIT/ROLLBACK');
    expect(await query(env.databaseUrl, "select to_regclass('t') as t")).toEqual([{ t: null }]);
  });

  it('two appliers at once: one applies, the other is told the lock is held; applied exactly once', async () => {
    const files = folder({ '001_slow.sql': 'create table t (id int);\nselect pg_sleep(0.5);\n' });
    const [a, b] = await Promise.all([
      applyMigrations(env, files, '001_slow', ctx),
      new Promise((r) => setTimeout(r, 100)).then(() => applyMigrations(env, files, '001_slow', ctx)),
    ]);
    const results = [a, b];
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const refused = results.find((r) => !r.ok);
    expect(refused).toMatchObject({ kind: 'busy' });
    if (refused && !refused.ok)
      expect(refused.message).toMatch(/Another applier holds the migration lock on this database \(pid \d+/);
    const ledger = await query(env.databaseUrl, 'select id from migration_gate.applied_migrations');
    expect(ledger).toEqual([{ id: '001_slow' }]);
  });

  it('a statement that exceeds statement_timeout fails and is not retried', async () => {
    const files = folder({ '001_slow.sql': 'select pg_sleep(2);\n' });
    const outcome = await applyMigrations({ ...env, statementTimeoutMs: 100 }, files, '001_slow', ctx);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.failure?.error.code).toBe('57014');
      expect(outcome.failure?.lockRetries).toBe(0);
    }
  });
});
