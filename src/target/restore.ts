/**
 * Restore from a backup, after a rollback: in one transaction, under the applier lock, the copies' rows that are
 * missing go back in, and the values of the columns the migration dropped or rewrote go back by primary key. A
 * table that is gone is created again from its copy's columns and primary key first. Nothing else is restored
 * (docs/backups.md says what).
 */
import type pg from 'pg';
import { BACKUP_SCHEMA, type BackedUpTable, type RestoredTable } from '../deploy/backups.js';
import { withAdvisoryLock } from './applier-lock.js';
import { ident, qualified } from './backup.js';
import { applySettings, type Settings } from './session-settings.js';

/** A restore that cannot start, in a sentence (nothing was changed). */
export class RestoreRefused extends Error {
  override readonly name = 'RestoreRefused';
}

interface LiveColumn {
  name: string;
  type: string;
  generated: boolean;
}

const LIVE_SQL = `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attgenerated <> '' as generated
  from pg_attribute a where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`;

/** Parents before children among the restored tables, by their foreign keys now (rows must find their parents). */
async function parentsFirst(
  client: pg.ClientBase,
  tables: readonly BackedUpTable[],
): Promise<BackedUpTable[]> {
  const names = tables.map((t) => qualified(t.schema, t.name));
  const edges = (
    await client.query<{ child: number; parent: number }>(
      `select c.i::int as child, p.i::int as parent from pg_constraint k
         join unnest($1::text[]) with ordinality c(q, i) on to_regclass(c.q) = k.conrelid
         join unnest($1::text[]) with ordinality p(q, i) on to_regclass(p.q) = k.confrelid
        where k.contype = 'f' and k.conrelid <> k.confrelid`,
      [names],
    )
  ).rows;
  const order: BackedUpTable[] = [];
  const placed = new Set<number>();
  while (order.length < tables.length) {
    const before = order.length;
    tables.forEach((t, k) => {
      const i = k + 1;
      if (placed.has(i)) return;
      if (edges.some((e) => e.child === i && !placed.has(e.parent))) return;
      placed.add(i);
      order.push(t);
    });
    // A cycle of foreign keys: the rest in the order given (PostgreSQL will say if a row cannot go in).
    if (order.length === before)
      for (const [k, t] of tables.entries())
        if (!placed.has(k + 1)) {
          placed.add(k + 1);
          order.push(t);
        }
  }
  return order;
}

async function restoreOne(client: pg.ClientBase, t: BackedUpTable): Promise<RestoredTable> {
  const target = qualified(t.schema, t.name);
  const copy = qualified(BACKUP_SCHEMA, t.backup);
  const notes: string[] = [];
  const exists = (await client.query<{ r: string | null }>('select to_regclass($1)::text as r', [target]))
    .rows[0]!.r;
  let recreated = false;
  if (!exists) {
    // Gone, and the down file did not create it again: its columns, NOT NULLs and primary key from the copy.
    const cols = t.columns.map((c) => `${ident(c.name)} ${c.type}${c.notNull ? ' not null' : ''}`);
    if (t.primaryKey.length) cols.push(`primary key (${t.primaryKey.map(ident).join(', ')})`);
    await client.query(`create schema if not exists ${ident(t.schema)}`);
    await client.query(`create table ${target} (${cols.join(', ')})`);
    recreated = true;
  }
  const live = (await client.query<LiveColumn>(LIVE_SQL, [target])).rows;
  const liveOf = new Map(live.map((c) => [c.name, c]));
  const common = t.columns.filter((c) => liveOf.has(c.name) && !liveOf.get(c.name)!.generated);
  const cast = (name: string, alias = 'b') => `${alias}.${ident(name)}::${liveOf.get(name)!.type}`;
  const keyed = t.primaryKey.length > 0 && t.primaryKey.every((k) => common.some((c) => c.name === k));
  const match = t.primaryKey.map((k) => `t.${ident(k)} = ${cast(k)}`).join(' and ');
  let rowsInserted = 0;
  if (t.restoreRows || recreated) {
    const names = common.map((c) => ident(c.name)).join(', ');
    const values = common.map((c) => cast(c.name)).join(', ');
    // Rows already there stay as they are; with no key to match by, equal rows count against each other.
    const sql = keyed
      ? `insert into ${target} (${names}) overriding system value select ${values} from ${copy} b
          where not exists (select 1 from ${target} t where ${match})`
      : `insert into ${target} (${names}) overriding system value
          select ${values} from ${copy} b except all select ${names} from ${target}`;
    rowsInserted = (await client.query(sql)).rowCount ?? 0;
  }
  const wanted = t.restoreColumns.filter((c) => !t.primaryKey.includes(c));
  const missing = wanted.filter((c) => !liveOf.has(c));
  if (missing.length)
    notes.push(
      `${missing.map((c) => `\`${c}\``).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in ${t.schema}.${t.name} after the rollback (its down file did not add ${missing.length === 1 ? 'it' : 'them'} back): not restored.`,
    );
  const columns = wanted.filter((c) => liveOf.has(c) && !liveOf.get(c)!.generated);
  let rowsUpdated = 0;
  if (columns.length && !keyed)
    notes.push(
      `${t.schema}.${t.name} has no primary key in its copy to match rows by: the values of ${columns.map((c) => `\`${c}\``).join(', ')} were not restored.`,
    );
  else if (columns.length) {
    const set = columns.map((c) => `${ident(c)} = ${cast(c)}`).join(', ');
    rowsUpdated =
      (await client.query(`update ${target} t set ${set} from ${copy} b where ${match}`)).rowCount ?? 0;
  }
  // A sequence that starts again (a table created again) must not hand out the ids just put back.
  const serial = await client.query<{ col: string; seq: string }>(
    `select a.attname as col, pg_get_serial_sequence($1, a.attname) as seq from pg_attribute a
      where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
        and pg_get_serial_sequence($1, a.attname) is not null`,
    [target],
  );
  for (const { col, seq } of serial.rows)
    await client.query(
      `select setval($1::regclass, m) from (select max(${ident(col)})::int8 as m from ${target}) x
        where m is not null and m > coalesce(pg_sequence_last_value($1::regclass), 0)`,
      [seq],
    );
  return {
    schema: t.schema,
    name: t.name,
    backup: t.backup,
    recreated,
    rowsInserted,
    rowsUpdated,
    columns,
    notes,
  };
}

/** Put back what `tables` can restore, all or nothing. */
export async function restoreTables(
  client: pg.ClientBase,
  tables: readonly BackedUpTable[],
  ctx: { settings: Settings; lockTimeoutMs: number; statementTimeoutMs: number },
): Promise<RestoredTable[]> {
  const gone = (
    await client.query<{ b: string }>(
      `select b from unnest($1::text[]) b where to_regclass(format('%I.%I', $2::text, b)) is null`,
      [tables.map((t) => t.backup), BACKUP_SCHEMA],
    )
  ).rows.map((r) => r.b);
  if (gone.length)
    throw new RestoreRefused(
      `The backup ${gone.map((b) => `${BACKUP_SCHEMA}.${b}`).join(', ')} is gone (backups are removed after keepFor, or by hand): nothing was restored.`,
    );
  const locked = await withAdvisoryLock(client, async () => {
    await client.query(
      `select set_config('lock_timeout', $1, false), set_config('statement_timeout', $2, false)`,
      [`${ctx.lockTimeoutMs}ms`, `${ctx.statementTimeoutMs}ms`],
    );
    await applySettings(client, ctx.settings, false);
    await client.query('begin');
    try {
      const done: RestoredTable[] = [];
      // Tables gone are created first (so parents exist), then rows go in parents before children.
      for (const t of await parentsFirst(client, tables)) done.push(await restoreOne(client, t));
      await client.query('commit');
      return done;
    } catch (e) {
      await client.query('rollback').catch(() => {});
      throw e;
    }
  });
  if (!locked.ok) throw new RestoreRefused(locked.message);
  return locked.value;
}
