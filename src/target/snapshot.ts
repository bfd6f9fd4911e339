import { createHash } from 'node:crypto';
import type pg from 'pg';
import { BACKUP_SCHEMA } from '../deploy/backups.js';
import { fingerprint, type Snapshot } from '../deploy/snapshot.js';
import { LEDGER_SCHEMA } from './client.js';

/**
 * The whole catalog of the user schemas in one round trip. Everything outside pg_catalog,
 * information_schema, the toast/temp schemas and the bot's own schemas (its ledger, its backups) is included.
 */
export const SNAPSHOT_SQL = `
with nsp as (
  select oid, nspname from pg_namespace
  where nspname not in ('pg_catalog', 'information_schema', 'pg_toast', '${LEDGER_SCHEMA}', '${BACKUP_SCHEMA}')
    and nspname not like 'pg\\_temp\\_%' and nspname not like 'pg\\_toast\\_temp\\_%'
),
rel as (
  select c.oid, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity, c.reltuples, c.relacl, c.relowner,
         n.nspname, quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qname
  from pg_class c join nsp n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f')
)
select json_build_object(
  'serverVersion', current_setting('server_version'),
  'databaseSize', pg_database_size(current_database()),
  -- The four big lists come as arrays (no repeated keys: a third of the bytes); takeSnapshot names the fields.
  'tables', (select coalesce(json_agg(json_build_array(nspname, relname, qname, relkind,
      relrowsecurity, relforcerowsecurity, greatest(reltuples, 0)::bigint)), '[]') from rel),
  'columns', (select coalesce(json_agg(json_build_array(r.qname, a.attname,
      format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid))), '[]')
    from rel r join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum),
  -- A constraint's and an index's "definition" is a fingerprint of their catalog rows, not the deparsed SQL:
  -- it changes exactly when they do, and costs a fraction (deparsing is most of a 10,000-table snapshot).
  'constraints', (select coalesce(json_agg(json_build_array(r.qname, k.conname, k.contype,
      concat_ws(' ', k.contype, k.conkey::text, k.confrelid::regclass::text, k.confkey::text, k.confupdtype,
        k.confdeltype, k.condeferrable, k.condeferred, case when k.conbin is not null then pg_get_expr(k.conbin, k.conrelid) end))), '[]')
    from pg_constraint k join rel r on r.oid = k.conrelid),
  'indexes', (select coalesce(json_agg(json_build_array(r.qname, ic.relname, i.indisunique,
      i.indisprimary, i.indisvalid, pg_get_expr(i.indpred, i.indrelid),
      concat_ws(' ', am.amname, i.indkey::text, i.indclass::text, i.indcollation::text, i.indoption::text, i.indisunique,
        case when i.indexprs is not null then pg_get_expr(i.indexprs, i.indrelid) end,
        case when i.indpred is not null then pg_get_expr(i.indpred, i.indrelid) end))), '[]')
    from pg_index i join rel r on r.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
    join pg_am am on am.oid = ic.relam),
  'functions', (select coalesce(json_agg(json_build_object('schema', n.nspname, 'name', p.proname, 'args', p.pronargs,
      'identityArgs', pg_get_function_identity_arguments(p.oid), 'returns', coalesce(pg_get_function_result(p.oid), ''),
      'securityDefiner', p.prosecdef, 'kind', p.prokind)), '[]')
    from pg_proc p join nsp n on n.oid = p.pronamespace
    where not exists (select 1 from pg_depend dep where dep.objid = p.oid and dep.deptype = 'e')),
  'policies', (select coalesce(json_agg(json_build_object('table', r.qname, 'name', pol.polname, 'command', pol.polcmd,
      'permissive', pol.polpermissive,
      'roles', (select coalesce(array_agg(case when ro = 0 then 'public' else pg_get_userbyid(ro) end order by 1), '{}')
                from unnest(pol.polroles) ro),
      'using', pg_get_expr(pol.polqual, pol.polrelid), 'check', pg_get_expr(pol.polwithcheck, pol.polrelid))), '[]')
    from pg_policy pol join rel r on r.oid = pol.polrelid),
  'triggers', (select coalesce(json_agg(json_build_object('table', r.qname, 'name', t.tgname,
      'definition', pg_get_triggerdef(t.oid))), '[]')
    from pg_trigger t join rel r on r.oid = t.tgrelid where not t.tgisinternal),
  'extensions', (select coalesce(json_agg(json_build_object('name', extname, 'version', extversion)), '[]') from pg_extension),
  'grants', (select coalesce(json_agg(g), '[]') from (
      select json_build_object('object', r.qname, 'objectType', 'table',
        'grantee', case when x.grantee = 0 then 'public' else pg_get_userbyid(x.grantee) end,
        'privilege', x.privilege_type) as g
      from rel r, aclexplode(r.relacl) x
      where r.relacl is not null and x.grantee <> r.relowner
      union all
      select json_build_object('object', quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
        'objectType', 'function',
        'grantee', case when x.grantee = 0 then 'public' else pg_get_userbyid(x.grantee) end,
        'privilege', x.privilege_type)
      from pg_proc p join nsp n on n.oid = p.pronamespace, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
      where x.grantee <> p.proowner
        and not exists (select 1 from pg_depend dep where dep.objid = p.oid and dep.deptype = 'e')
  ) gs)
) as snapshot`;

type Row = unknown[];

export async function takeSnapshot(client: pg.ClientBase): Promise<Snapshot> {
  const r = await client.query<{
    snapshot: Omit<Snapshot, 'tables' | 'columns' | 'constraints' | 'indexes'> &
      Record<'tables' | 'columns' | 'constraints' | 'indexes', Row[]>;
  }>(SNAPSHOT_SQL);
  const s = r.rows[0]!.snapshot;
  return {
    ...s,
    tables: s.tables.map(([schema, name, qname, kind, rls, forceRls, rowEstimate]) => ({
      schema,
      name,
      qname,
      kind,
      rls,
      forceRls,
      rowEstimate: Number(rowEstimate),
    })) as Snapshot['tables'],
    columns: s.columns.map(([table, name, type, notNull, dflt]) => ({
      table,
      name,
      type,
      notNull,
      default: dflt,
    })) as Snapshot['columns'],
    constraints: s.constraints.map(([table, name, type, definition]) => ({
      table,
      name,
      type,
      definition,
    })) as Snapshot['constraints'],
    indexes: s.indexes.map(([table, name, unique, primary, valid, predicate, definition]) => ({
      table,
      name,
      unique,
      primary,
      valid,
      predicate,
      definition,
    })) as Snapshot['indexes'],
  };
}

/** A short hash of the catalog: two snapshots with the same digest have the same objects. */
export function snapshotDigest(s: Snapshot): string {
  return createHash('sha256').update(fingerprint(s).join('\n')).digest('hex').slice(0, 16);
}
