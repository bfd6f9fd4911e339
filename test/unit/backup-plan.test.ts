/** What a backup copies (the parse-tree walk), how copies are named, and how backups read in Slack. Pure. */
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeTouched, touchedTables } from '../../src/deploy/backup-plan.js';
import {
  type BackedUpTable,
  type BackupResult,
  backupName,
  describeRestore,
  sizeText,
} from '../../src/deploy/backups.js';
import { parseMigration } from '../../src/lint/parse.js';
import { backupReply, restoreReply } from '../../src/slack/backup-blocks.js';
import { loadParser } from '../../src/target/sql.js';

const touched = (sql: string) => {
  const parsed = parseMigration(sql);
  if (!parsed.ok) throw new Error(parsed.message);
  return touchedTables(parsed.file.statements);
};

describe('the tables a migration changes, from its parse tree', () => {
  beforeAll(loadParser);

  it('sees each kind of change, with what a restore could put back', () => {
    const t = touched(`
      alter table s."Foo" drop column a, alter column b type int, add column c int;
      drop table x, y.z cascade;
      truncate t1, only t2;
      delete from d where x;
      with w as (update u set a = 1, b = 2 returning *) select * from w;
      alter table r rename column a to b;
      merge into m using src on true when matched then update set a = 1 when not matched then do nothing;
      insert into i values (1) on conflict (id) do update set c = 2;
      insert into plain values (1);
      alter index idx rename to idx2;
      alter table moved set schema other;
      create table fresh (id int);
      select * from readonly;
      drop schema gone cascade;`);
    expect(t.schemas).toEqual(['gone']);
    expect(t.tables).toEqual([
      { schema: 's', name: 'Foo', changes: ['alter'], rows: false, columns: ['a', 'b'] },
      { name: 'x', changes: ['drop'], rows: true, columns: [] },
      { schema: 'y', name: 'z', changes: ['drop'], rows: true, columns: [] },
      { name: 't1', changes: ['truncate'], rows: true, columns: [] },
      { name: 't2', changes: ['truncate'], rows: true, columns: [] },
      { name: 'd', changes: ['delete'], rows: true, columns: [] },
      { name: 'u', changes: ['update'], rows: false, columns: ['a', 'b'] },
      { name: 'r', changes: ['alter'], rows: false, columns: [] },
      { name: 'm', changes: ['update'], rows: false, columns: ['a'] },
      { name: 'i', changes: ['update'], rows: false, columns: ['c'] },
      { name: 'moved', changes: ['alter'], rows: false, columns: [] },
    ]);
  });

  it('one table named by several statements and files is one, with everything done to it', () => {
    const t = mergeTouched([
      touched('update users set email = lower(email);'),
      touched('alter table users drop column nickname;\ndelete from users where banned;'),
      touched('alter table public.users add column x int;'),
    ]);
    expect(t.tables).toEqual([
      { name: 'users', changes: ['update', 'alter', 'delete'], rows: true, columns: ['email', 'nickname'] },
      { schema: 'public', name: 'users', changes: ['alter'], rows: false, columns: [] },
    ]);
  });
});

describe('copies: names and how Slack shows them', () => {
  it('are run<id>_<table>, with the schema outside public, within 63 bytes, unique', () => {
    expect(backupName(17, 'public', 'orders', 1, new Set())).toBe('run17_orders');
    expect(backupName(17, 'billing', 'orders', 1, new Set())).toBe('run17_billing_orders');
    expect(backupName(17, 'public', 'orders', 16390, new Set(['run17_orders']))).toBe('run17_orders_16390');
    const long = backupName(17, 'public', 'é'.repeat(40), 16390, new Set());
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(sizeText(512)).toBe('512 B');
    expect(sizeText(16_384)).toBe('16 kB');
    expect(sizeText(157_286_400)).toBe('150 MB');
  });

  const table = (i: number, extra: Partial<BackedUpTable> = {}): BackedUpTable => ({
    schema: 'public',
    name: `t${i}`,
    backup: `run3_t${i}`,
    rows: 1000 + i,
    bytes: 65_536,
    changes: ['delete'],
    restoreRows: true,
    restoreColumns: [],
    columns: [{ name: 'id', type: 'integer', asText: false, notNull: true }],
    primaryKey: ['id'],
    ...extra,
  });

  it('says what restore can and cannot put back', () => {
    expect(
      describeRestore([
        table(1, { changes: ['drop'] }),
        table(2, { changes: ['alter'], restoreRows: false, restoreColumns: ['nick'] }),
        table(3, { changes: ['update'], restoreRows: false, restoreColumns: ['email'], primaryKey: [] }),
      ]),
    ).toEqual([
      '`t1` (copy `run3_t1`): the table and its 1,001 rows (created again from the copy if the down file did not)',
      '`t2` (copy `run3_t2`): the values of `nick` by primary key',
      '`t3` (copy `run3_t3`): not the values of `email`: the table has no primary key to match rows by',
    ]);
  });

  it('a backup of 500 tables stays within one message, and says where every copy is listed', () => {
    const r: BackupResult = {
      env: 'production',
      ok: true,
      tables: Array.from({ length: 500 }, (_, i) => table(i)),
      skipped: [],
      durationMs: 1234,
    };
    const m = backupReply(r);
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    const text = JSON.stringify(m.blocks);
    expect(text).toContain('• `t0` → `run3_t0`: 1,000 rows, 64 kB (delete)');
    expect(text).toContain(
      '… and 460 more tables: `migration_gate_backup.backups` in the database lists every copy.',
    );
    const restored = restoreReply({
      env: 'production',
      ok: true,
      durationMs: 10,
      tables: r.tables.map((t) => ({
        schema: t.schema,
        name: t.name,
        backup: t.backup,
        recreated: false,
        rowsInserted: 2,
        rowsUpdated: 0,
        columns: [],
        notes: [],
      })),
    });
    expect(restored.blocks.length).toBeLessThanOrEqual(50);
    expect(JSON.stringify(restored.blocks)).toContain('500 tables: 1,000 rows put back');
  });
});
