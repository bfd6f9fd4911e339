import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/target/apply.js';
import { discoverMigrations, type MigrationFile } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import type { ApplySettings } from '../../src/target/run-file.js';
import { createTestDatabase, query } from '../support/pg.js';

function folder(files: Record<string, string>): MigrationFile[] {
  const dir = mkdtempSync(join(tmpdir(), 'mg-tx-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const { migrations, problems } = discoverMigrations(dir);
  expect(problems).toEqual([]);
  return migrations;
}

const ctx = { runId: 1, appliedBy: 'U1', footprints: unrecorded };

describe('files that end their own transactions, on real PostgreSQL', () => {
  let env: ApplySettings;
  beforeEach(async () => {
    env = {
      name: 'test',
      databaseUrl: await createTestDatabase('mg_tx'),
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 200,
      statementTimeoutMs: 10_000,
      lockRetries: 1,
      retryBackoffMs: 10,
    };
  });

  it('a DO block that COMMITs applies statement by statement, and the reply says why', async () => {
    const files = folder({
      '001_batches.sql': [
        'create table t (id int);',
        'do $$',
        'begin',
        '  for i in 1..3 loop',
        '    insert into t values (i);',
        '    commit;',
        '  end loop;',
        'end $$;',
      ].join('\n'),
    });
    const outcome = await applyMigrations(env, files, '001_batches', ctx);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.applied.map((a) => a.outsideTransaction)).toEqual([
      'the DO block at line 2 ends its transaction: COMMIT at line 6',
    ]);
    expect(await query(env.databaseUrl, 'select count(*)::int as n from t')).toEqual([{ n: 3 }]);
    const ledger = await query(env.databaseUrl, 'select id from migration_gate.applied_migrations');
    expect(ledger).toEqual([{ id: '001_batches' }]);
  });

  it('a file that says so runs outside a transaction: our marker, postgres-migrations’, Flyway’s .conf', async () => {
    const procedure = 'create procedure batch() language plpgsql as $$ begin commit; end $$;\n';
    const plain = folder({
      '001_proc.sql': procedure,
      '002_call.sql': '-- migration-gate: no-transaction\ncall batch();\n',
      '003_call.sql': '-- postgres-migrations disable-transaction\ncall batch();\n',
    });
    const outcome = await applyMigrations(env, plain, '003_call', ctx);
    expect(outcome.ok && outcome.applied.map((a) => a.outsideTransaction)).toEqual([
      undefined,
      '-- migration-gate: no-transaction',
      '-- postgres-migrations disable-transaction',
    ]);
    const flyway = folder({
      'V1__proc.sql': procedure.replace('batch', 'fbatch'),
      'V2__call.sql': 'call fbatch();\n',
      'V2__call.sql.conf': 'executeInTransaction=false\n',
    });
    const second = await applyMigrations(
      { ...env, databaseUrl: await createTestDatabase('mg_tx') },
      flyway,
      'V2__call',
      ctx,
    );
    expect(second.ok && second.applied.map((a) => a.outsideTransaction)).toEqual([
      undefined,
      'executeInTransaction=false in V2__call.sql.conf',
    ]);
  });

  it('without the marker, a CALL of a committing procedure from an earlier file fails as PostgreSQL says', async () => {
    const files = folder({
      '001_proc.sql': 'create procedure batch() language plpgsql as $$ begin commit; end $$;\n',
      '002_call.sql': 'call batch();\n',
    });
    const outcome = await applyMigrations(env, files, '002_call', ctx);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failure?.error).toMatchObject({ code: '2D000' });
  });
});
