import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buttonsOf,
  current,
  ephemerals,
  type Harness,
  lastPost,
  startHarness,
  textOf,
} from '../support/harness.js';
import { query } from '../support/pg.js';

const FAILING = `create table accounts (id int primary key);
create table ledger_entries (id int primary key, account_id int references accounts (id));
insert into ledger_entries (id, account_id)
  values (1, 999);
create index ledger_entries_account on ledger_entries (account_id);
`;

const SNAPSHOT = `select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = 'public') as relations`;

describe('failures a user must be able to read', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      migrations: {
        '001_base.sql': 'create table base (id int primary key);\n',
        '002_fails_at_third.sql': FAILING,
      },
    });
  });
  afterAll(async () => h?.stop());

  it('a migration failing at its third statement leaves the target as it was and shows file:line:column', async () => {
    await h.slash('001');
    await h.settle();
    const before = await query(h.targets.staging!, SNAPSHOT);
    await h.slash('002_fails_at_third');
    await h.settle();
    const after = await query(h.targets.staging!, SNAPSHOT);
    expect(after).toEqual(before);

    const apply = lastPost(h.slack, 'Apply on staging');
    expect(apply).toContain('Apply on staging');
    expect(apply).toContain('`002_fails_at_third.sql:3:1` (statement 3)');
    expect(apply).toContain(
      'ERROR 23503: insert or update on table "ledger_entries" violates foreign key constraint',
    );
    expect(apply).toContain('DETAIL: Key (account_id)=(999) is not present in table "accounts".');
    expect(apply).toContain('the catalog after equals the catalog before');

    const card = textOf(h.slack.callsTo('chat.update').at(-1)!.args);
    expect(card).toContain('❌ apply failed');
    expect(card).toContain('Failed: 002_fails_at_third.sql:3:1: 23503');

    const ledger = await query<{ id: string }>(
      h.targets.staging!,
      'select id from migration_gate.applied_migrations',
    );
    expect(ledger.map((r) => r.id)).toEqual(['001_base']);
    const [run] = await query<{ status: string }>(
      h.stateUrl,
      'select status from migration_gate_state.runs where id = 2',
    );
    expect(run!.status).toBe('failed');
  });

  it('an error with a position points at the exact column', async () => {
    // Files run in order up to the one named: fix 002 so 003 is reached.
    writeFileSync(join(h.migrationsDir, '002_fails_at_third.sql'), FAILING.replace('999', 'null'));
    writeFileSync(
      join(h.migrationsDir, '003_typo.sql'),
      'create table t3 (id int);\nselect id, idd from t3;\n',
    );
    await h.slash('003');
    await h.settle();
    const apply = lastPost(h.slack, 'Apply on staging');
    expect(apply).toContain('`003_typo.sql:2:12` (statement 2)');
    expect(apply).toContain('ERROR 42703: column "idd" does not exist');
    expect(apply).toContain('HINT: Perhaps you meant to reference the column "t3.id".');
    // 002 went in before 003 failed: the run holds, offering Roll back; cancelling leaves 002 applied.
    expect(current(h.slack, /^Run #3 · /)).toContain('⛔ apply failed');
    const card = [...h.slack.messages].reverse().find((m) => m.text.startsWith('Run #3 · '))!;
    expect(buttonsOf(card.blocks as unknown[]).map((b) => b.action_id)).toEqual([
      'run.rollback',
      'run.cancel',
    ]);
    await h.slash('cancel #3');
    await h.settle();
    expect(current(h.slack, /^Run #3 · /)).toContain('Cancelled by <@U0REQUESTER>');
  });

  it('a syntax error fails preflight with line and column, before anything runs', async () => {
    writeFileSync(
      join(h.migrationsDir, '003_typo.sql'),
      'create table t3 (id int);\n\ncreate tabel t4 (id int);\n',
    );
    await h.slash('003');
    await h.settle();
    const preflight = lastPost(h.slack, 'Preflight on staging');
    expect(preflight).toContain('Preflight on staging* ❌');
    expect(preflight).toContain('`003_typo.sql:3:8`');
    expect(preflight).toContain('syntax error at or near "tabel"');
    const t3 = await query(h.targets.staging!, "select to_regclass('t3') as t");
    expect(t3).toEqual([{ t: null }]);
  });

  it('editing an applied file refuses the next run with both checksums', async () => {
    writeFileSync(join(h.migrationsDir, '003_typo.sql'), 'create table t3 (id int);\n');
    writeFileSync(join(h.migrationsDir, '001_base.sql'), 'create table base (id bigint primary key);\n');
    await h.slash('003');
    await h.settle();
    const preflight = lastPost(h.slack, 'Preflight on staging');
    const [row] = await query<{ checksum: string }>(
      h.targets.staging!,
      "select checksum from migration_gate.applied_migrations where id = '001_base'",
    );
    expect(preflight).toContain('001_base.sql was applied on staging at');
    expect(preflight).toContain(`with checksum ${row!.checksum.slice(0, 12)}`);
    expect(preflight).toMatch(/but the file now has checksum [0-9a-f]{12}/);
    expect(preflight).not.toContain(`now has checksum ${row!.checksum.slice(0, 12)}`);
    const t3 = await query(h.targets.staging!, "select to_regclass('t3') as t");
    expect(t3).toEqual([{ t: null }]);
    const card = textOf(h.slack.callsTo('chat.update').at(-1)!.args);
    expect(card).toContain('❌ preflight failed');
    expect(card).toContain('⏭️ apply');
  });

  it('an unknown migration lists the available ones', async () => {
    await h.slash('999_nope');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      'There is no migration "999_nope". Available: `001_base`, `002_fails_at_third`, `003_typo`.',
    );
  });
});
