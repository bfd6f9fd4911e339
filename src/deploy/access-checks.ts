/** The catalog SQL of the access checks: grants, row-level security and its policies. Pure. */
import { catalog, split } from './catalog-query.js';
import type { CheckPlan, ParsedCheck } from './check-schema.js';

/** Each role holds the privilege on the table or function. */
export function grantPlan(g: NonNullable<ParsedCheck['grant']>): CheckPlan {
  const privilege = (g.privilege ?? (g.table ? 'SELECT' : 'EXECUTE')).toUpperCase();
  const object = (g.table ?? g.function)!;
  return catalog(`${privilege} on ${object} to ${g.to.join(', ')}`, (w) => {
    const roles = w.p(g.to);
    const priv = w.p(privilege);
    const has = g.table
      ? `has_table_privilege(r, ${w.p(object.includes('.') ? object : `public.${object}`)}, ${priv})`
      : `has_function_privilege(r, (select p.oid from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace where ns.nspname = ${w.p(split(object)[0])} and p.proname = ${w.p(split(object)[1])} limit 1), ${priv})`;
    return `select coalesce(bool_and(h), false) as ok,
            coalesce(string_agg(r || case when h then ' ✓' when h is null then ' (no such object)' else ' ✗' end, ', '), '') as actual
            from (select r, ${has} as h from unnest(${roles}::text[]) r) x`;
  });
}

/** Row-level security is on (or off) for the table, forced or not, with these policies. */
export function rlsPlan(r: NonNullable<ParsedCheck['rls']>): CheckPlan {
  const [schema, table] = split(r.table);
  const want = [
    r.enabled ? 'enabled' : 'disabled',
    r.forced === undefined ? '' : r.forced ? 'forced' : 'not forced',
    r.policies ? `policies ${r.policies.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return catalog(`RLS on ${table}: ${want}`, (w) => {
    const s = w.p(schema);
    const t = w.p(table);
    w.add('c.relrowsecurity = ?', r.enabled);
    if (r.forced !== undefined) w.add('c.relforcerowsecurity = ?', r.forced);
    if (r.policies)
      w.add(
        '(select array_agg(polname::text order by polname) from pg_policy where polrelid = c.oid) @> ?::text[]',
        r.policies,
      );
    return `select coalesce(bool_or(${w.cond}), false) as ok,
            coalesce(max(case when c.relrowsecurity then 'enabled' else 'disabled' end || case when c.relforcerowsecurity then ', forced' else '' end
              || coalesce(', policies ' || (select string_agg(polname, ', ' order by polname) from pg_policy where polrelid = c.oid), '')), 'no such table') as actual
            from pg_class c join pg_namespace ns on ns.oid = c.relnamespace where ns.nspname = ${s} and c.relname = ${t}`;
  });
}

/** The table has this policy, for this command and these roles. */
export function policyPlan(p: NonNullable<ParsedCheck['policy']>): CheckPlan {
  const [schema, table] = split(p.table);
  const cmd = p.command
    ? { all: '*', select: 'r', insert: 'a', update: 'w', delete: 'd' }[p.command]
    : undefined;
  return catalog(
    `policy ${p.name} on ${table}${p.command ? ` for ${p.command}` : ''}${p.roles ? ` to ${p.roles.join(', ')}` : ''}`,
    (w) => {
      const s = w.p(schema);
      const t = w.p(table);
      w.add('pol.polname = ?', p.name);
      if (cmd) w.add('pol.polcmd = ?', cmd);
      if (p.roles)
        w.add(
          `array(select case when ro = 0 then 'public' else pg_get_userbyid(ro)::text end from unnest(pol.polroles) ro order by 1) = array(select unnest(?::text[]) order by 1)`,
          p.roles,
        );
      return `select coalesce(bool_or(${w.cond}), false) as ok,
            coalesce(string_agg(pol.polname || ' for ' || case pol.polcmd when '*' then 'all' when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' else 'delete' end, '; '), 'no policies') as actual
            from pg_policy pol join pg_class c on c.oid = pol.polrelid join pg_namespace ns on ns.oid = c.relnamespace
            where ns.nspname = ${s} and c.relname = ${t}`;
    },
  );
}
