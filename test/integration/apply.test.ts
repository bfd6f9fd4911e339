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
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 200,
      statementTimeoutMs: 10_000,
      lockRetries: 3,
      retryBackoffMs: 100,
    };
  });

  it('gives up the lock queue quickly, does not queue again while the blocker is open, and names it', async () => {
    const files = folder({
      '001_t.sql': 'create table t (id int primary key, v text);\n',
      '002_add.sql': 'alter table t add column extra int;\n',
    });
    expect((await applyMigrations(env, files, '001_t', ctx)).ok).toBe(true);

    const holder = new pg.Client({ connectionString: env.databaseUrl, application_name: 'reporting-job' });
    await holder.connect();
    await holder.query('begin; select * from t;'); // holds ACCESS SHARE until rollback: idle in transaction
    const holderPid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    const before = await withTargetClient(env, unrecorded, takeSnapshot);

    const started = performance.now();
    const apply = applyMigrations(env, files, '002_add', { ...ctx, random: () => 1 });
    // A reader queued behind the ALTER's lock request is let go by the first attempt's timeout (100 ms)...
    await waitForLockWait(env.databaseUrl);
    const timed = async () => {
      const t = performance.now();
      await query(env.databaseUrl, 'select count(*)::int as n from t');
      return performance.now() - t;
    };
    const first = await timed();
    // ...and later readers never queue at all: the bot waits for the blocker instead of asking again.
    await new Promise((r) => setTimeout(r, 300));
    const later = await timed();
    const outcome = await apply;
    const elapsed = performance.now() - started;
    await holder.query('rollback');
    await holder.end();

    expect(first).toBeLessThan(1000);
    expect(later).toBeLessThan(env.firstLockTimeoutMs);
    // Backoffs 100 + 200 + 400 ms (random fixed at 1) spent waiting for the holder, not in the lock queue.
    expect(elapsed).toBeGreaterThan(700);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    const failure = outcome.failure!;
    expect(failure.lockRetries).toBe(0);
    expect(failure.error.code).toBe('55P03');
    expect(failure.lockWaits).toHaveLength(1);
    expect(failure.lockWaits![0]).toMatchObject({ attempt: 1, timeoutMs: 100, code: '55P03' });
    expect(failure.lockWaits![0]!.blockers).toEqual([
      expect.objectContaining({
        pid: holderPid,
        application: 'reporting-job',
        state: 'idle in transaction',
        query: 'select pg_backend_pid() as pid',
      }),
    ]);
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
    await waitForLockWait(env.databaseUrl);
    setTimeout(() => void holder.query('rollback').then(() => holder.end()), 250);
    const outcome = await apply;
    expect(outcome.ok).toBe(true);
    if (outcome.ok) {
      expect(outcome.applied[0]!.lockRetries).toBeGreaterThanOrEqual(1);
      expect(outcome.applied[0]!.lockWaits![0]!.blockers[0]).toMatchObject({ state: 'idle in transaction' });
    }
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

/** Wait until some session waits for a lock (the migration's attempt is in the lock queue). */
async function waitForLockWait(url: string): Promise<void> {
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    for (;;) {
      const { rows } = await watcher.query('select count(*)::int as n from pg_locks where not granted');
      if (rows[0].n > 0) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await watcher.end();
  }
}
