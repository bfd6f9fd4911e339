/** The catalog SQL each built-in check kind generates (function, table, column, index, …). Pure. */
import { grantPlan, policyPlan, rlsPlan } from './access-checks.js';
import { catalog, norm, split } from './catalog-query.js';
import type { CheckPlan, KindName, ParsedCheck } from './check-schema.js';
import { toRequest } from './http-check.js';

/** A valid check's plan: its query, or what the runner does for it. */
export function compile(c: ParsedCheck, kind: KindName): { kind: KindName; plan: CheckPlan } {
  switch (kind) {
    case 'sql':
      return { kind, plan: { kind: 'sql', sql: c.sql!, expect: c.expect!, as: c.as, writes: c.writes } };
    case 'concurrent':
      return {
        kind,
        plan: {
          kind: 'concurrent',
          times: c.concurrent!.times,
          sql: c.concurrent!.sql,
          after: c.then!,
          setup: c.concurrent!.setup,
          cleanup: c.cleanup,
        },
      };
    case 'http': {
      const h = c.http!;
      const plan: CheckPlan = { kind: 'http', ...toRequest(h), withinMs: h.within, expect: c.expect };
      return { kind, plan };
    }
    case 'rows_unchanged':
      return {
        kind,
        plan: { kind: 'rows_unchanged', tables: c.rows_unchanged === true ? true : c.rows_unchanged! },
      };
    case 'function': {
      const f = c.function!;
      const [schema, name] = split(f.name);
      const want = [
        typeof f.args === 'number' ? `${f.args} args` : f.args ? `(${f.args.join(', ')})` : '',
        f.returns ? `returns ${f.returns}` : '',
        f.securityDefiner === undefined ? '' : f.securityDefiner ? 'security definer' : 'security invoker',
      ].filter(Boolean);
      return {
        kind,
        plan: catalog(`${schema}.${name}${want.length ? ` ${want.join(' ')}` : ' exists'}`, (w) => {
          const s = w.p(schema);
          const n = w.p(name);
          if (typeof f.args === 'number') w.add('p.pronargs = ?', f.args);
          if (Array.isArray(f.args)) w.add('oidvectortypes(p.proargtypes) = ?', f.args.join(', '));
          if (f.returns) w.add('pg_get_function_result(p.oid) = ?', f.returns);
          if (f.securityDefiner !== undefined) w.add('p.prosecdef = ?', f.securityDefiner);
          return `select coalesce(bool_or(${w.cond}), false) as ok,
            coalesce(string_agg(format('%s(%s) returns %s%s', p.proname, oidvectortypes(p.proargtypes), pg_get_function_result(p.oid),
              case when p.prosecdef then ' security definer' else '' end), '; '), 'missing') as actual
            from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace where ns.nspname = ${s} and p.proname = ${n}`;
        }),
      };
    }
    case 'table': {
      const [schema, name] = split(typeof c.table === 'string' ? c.table : c.table!.name);
      return {
        kind,
        plan: catalog(`${schema}.${name} exists`, (w) => {
          return `select count(*) > 0 as ok, coalesce(max(case c.relkind when 'r' then 'table' when 'p' then 'partitioned table' when 'v' then 'view' when 'm' then 'materialized view' else c.relkind::text end), 'missing') as actual
            from pg_class c join pg_namespace ns on ns.oid = c.relnamespace
            where ns.nspname = ${w.p(schema)} and c.relname = ${w.p(name)} and c.relkind in ('r', 'p')`;
        }),
      };
    }
    case 'column': {
      const col = c.column!;
      const [schema, table] = split(col.table);
      const want = [
        col.type,
        col.nullable === undefined ? '' : col.nullable ? 'null' : 'not null',
        col.default ? `default ${col.default}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return {
        kind,
        plan: catalog(`${table}.${col.name}${want ? ` ${want}` : ' exists'}`, (w) => {
          const s = w.p(schema);
          const t = w.p(table);
          const n = w.p(col.name);
          if (col.type) w.add('format_type(a.atttypid, a.atttypmod) = ?', col.type);
          if (col.nullable !== undefined) w.add('a.attnotnull = ?', !col.nullable);
          if (col.default) w.add(`${norm('pg_get_expr(d.adbin, d.adrelid)')} = ${norm('?')}`, col.default);
          return `select coalesce(bool_or(${w.cond}), false) as ok,
            coalesce(max(format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else ' null' end
              || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')), 'missing') as actual
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace ns on ns.oid = c.relnamespace
            left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
            where ns.nspname = ${s} and c.relname = ${t} and a.attname = ${n} and a.attnum > 0 and not a.attisdropped`;
        }),
      };
    }
    case 'index': {
      const ix = c.index!;
      const [schema, table] = split(ix.table);
      const want = [
        ix.unique ? 'unique' : '',
        ix.name ?? '',
        `on ${table}`,
        ix.columns ? `(${ix.columns.join(', ')})` : '',
        ix.where === true ? 'partial' : typeof ix.where === 'string' ? `where ${ix.where}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return {
        kind,
        plan: catalog(`index ${want}`, (w) => {
          const s = w.p(schema);
          const t = w.p(table);
          if (ix.name) w.add('ic.relname = ?', ix.name);
          if (ix.unique !== undefined) w.add('i.indisunique = ?', ix.unique);
          if (ix.columns)
            w.add(
              `array(select a.attname::text from unnest(i.indkey) with ordinality k(attnum, n) join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.n) = ?::text[]`,
              ix.columns,
            );
          if (ix.where === true) w.add('i.indpred is not null');
          if (ix.where === false) w.add('i.indpred is null');
          if (typeof ix.where === 'string')
            w.add(`${norm('pg_get_expr(i.indpred, i.indrelid)')} = ${norm('?')}`, ix.where);
          return `select coalesce(bool_or(${w.cond}), false) as ok,
            coalesce(string_agg(pg_get_indexdef(i.indexrelid), '; ') filter (where ${w.cond}), string_agg(pg_get_indexdef(i.indexrelid), '; '), 'no index') as actual
            from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace ns on ns.oid = c.relnamespace
            join pg_class ic on ic.oid = i.indexrelid where ns.nspname = ${s} and c.relname = ${t}`;
        }),
      };
    }
    case 'constraint': {
      const k = c.constraint!;
      const [schema, table] = split(k.table);
      const code = { check: 'c', foreign_key: 'f', unique: 'u', primary_key: 'p', exclusion: 'x' }[k.type];
      return {
        kind,
        plan: catalog(
          `${k.type}${k.name ? ` ${k.name}` : ''} on ${table}${k.references ? ` → ${k.references}` : ''}`,
          (w) => {
            const s = w.p(schema);
            const t = w.p(table);
            w.add('k.contype = ?', code);
            if (k.name) w.add('k.conname = ?', k.name);
            if (k.references) {
              const [rs, rt] = split(k.references);
              w.add(
                'k.confrelid = (select rc.oid from pg_class rc join pg_namespace rn on rn.oid = rc.relnamespace where rn.nspname = ? and rc.relname = ?)',
                rs,
                rt,
              );
            }
            return `select coalesce(bool_or(${w.cond}), false) as ok,
            coalesce(string_agg(k.conname || ': ' || pg_get_constraintdef(k.oid), '; ') filter (where ${w.cond}), string_agg(k.conname || ': ' || pg_get_constraintdef(k.oid), '; ') filter (where k.contype = ${w.p(code)}), 'none') as actual
            from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace ns on ns.oid = c.relnamespace
            where ns.nspname = ${s} and c.relname = ${t}`;
          },
        ),
      };
    }
    case 'extension': {
      const name = typeof c.extension === 'string' ? c.extension : c.extension!.name;
      return {
        kind,
        plan: catalog(
          `extension ${name}`,
          (w) =>
            `select count(*) > 0 as ok, coalesce(max(extname || ' ' || extversion), 'not installed') as actual from pg_extension where extname = ${w.p(name)}`,
        ),
      };
    }
    case 'grant':
      return { kind, plan: grantPlan(c.grant!) };
    case 'rls':
      return { kind, plan: rlsPlan(c.rls!) };
    case 'policy':
      return { kind, plan: policyPlan(c.policy!) };
    case 'trigger': {
      const tr = c.trigger!;
      const [schema, table] = split(tr.table);
      return {
        kind,
        plan: catalog(`trigger ${tr.name} on ${table}`, (w) => {
          const s = w.p(schema);
          const t = w.p(table);
          return `select coalesce(bool_or(tg.tgname = ${w.p(tr.name)}), false) as ok, coalesce(string_agg(tg.tgname, ', '), 'no triggers') as actual
            from pg_trigger tg join pg_class c on c.oid = tg.tgrelid join pg_namespace ns on ns.oid = c.relnamespace
            where ns.nspname = ${s} and c.relname = ${t} and not tg.tgisinternal`;
        }),
      };
    }
  }
}
