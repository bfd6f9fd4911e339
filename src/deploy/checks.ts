/** Declarative checks: the YAML shape (zod) and the catalog SQL each built-in kind generates. Pure. */
import { z } from 'zod';
import {
  type Expectation,
  evaluate,
  expectationSchema,
  type QueryResult,
  type Verdict,
} from './expectations.js';

const ident = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/, 'a name like users or public.users');
const role = z.string().regex(/^[A-Za-z_][A-Za-z0-9_$-]*$/, 'a role name');
const duration = z.union([
  z.int().positive(),
  z.string().regex(/^\d+(ms|s|m)$/, 'a duration like 500ms, 5s or 1m'),
]);

const asRole = z.strictObject({
  role,
  settings: z
    .record(
      z.string().regex(/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$/, 'a setting like app.workspace_id'),
      z.union([z.string(), z.number()]),
    )
    .default({}),
});

const kinds = {
  sql: z.string().min(1),
  function: z.strictObject({
    name: ident,
    args: z.union([z.int().min(0), z.array(z.string().min(1))]).optional(),
    returns: z.string().min(1).optional(),
    securityDefiner: z.boolean().optional(),
  }),
  table: z.union([ident, z.strictObject({ name: ident })]),
  column: z.strictObject({
    table: ident,
    name: z.string().min(1),
    type: z.string().min(1).optional(),
    nullable: z.boolean().optional(),
    default: z.string().optional(),
  }),
  index: z.strictObject({
    table: ident,
    name: z.string().min(1).optional(),
    columns: z.array(z.string().min(1)).min(1).optional(),
    unique: z.boolean().optional(),
    where: z.union([z.string().min(1), z.boolean()]).optional(),
  }),
  constraint: z.strictObject({
    table: ident,
    name: z.string().min(1).optional(),
    type: z.enum(['check', 'foreign_key', 'unique', 'primary_key', 'exclusion']),
    references: ident.optional(),
  }),
  extension: z.union([z.string().min(1), z.strictObject({ name: z.string().min(1) })]),
  grant: z
    .strictObject({
      table: ident.optional(),
      function: ident.optional(),
      privilege: z
        .string()
        .regex(/^[A-Za-z ]+$/)
        .optional(),
      to: z.array(role).min(1),
    })
    .refine((g) => !!g.table !== !!g.function, 'name exactly one of table or function'),
  rls: z.strictObject({
    table: ident,
    enabled: z.boolean().default(true),
    forced: z.boolean().optional(),
    policies: z.array(z.string().min(1)).optional(),
  }),
  policy: z.strictObject({
    table: ident,
    name: z.string().min(1),
    command: z.enum(['all', 'select', 'insert', 'update', 'delete']).optional(),
    roles: z.array(role).optional(),
  }),
  trigger: z.strictObject({ table: ident, name: z.string().min(1) }),
  rows_unchanged: z.union([z.array(ident).min(1), z.literal(true)]),
  concurrent: z.strictObject({
    times: z.int().min(2).max(50),
    sql: z.string().min(1),
    setup: z.string().min(1).optional(),
  }),
} as const;

type KindName = keyof typeof kinds;
const KIND_NAMES = Object.keys(kinds) as KindName[];

export const checkSchema = z
  .strictObject({
    name: z.string().min(1).max(120),
    severity: z.enum(['blocker', 'warning']).default('blocker'),
    timeout: duration.optional(),
    expect: expectationSchema.optional(),
    as: asRole.optional(),
    writes: z.boolean().default(false),
    // biome-ignore lint/suspicious/noThenProperty: `then` is the check file's key (a plain object, never a function)
    then: z.strictObject({ sql: z.string().min(1), expect: expectationSchema }).optional(),
    cleanup: z.string().min(1).optional(),
    sql: kinds.sql.optional(),
    function: kinds.function.optional(),
    table: kinds.table.optional(),
    column: kinds.column.optional(),
    index: kinds.index.optional(),
    constraint: kinds.constraint.optional(),
    extension: kinds.extension.optional(),
    grant: kinds.grant.optional(),
    rls: kinds.rls.optional(),
    policy: kinds.policy.optional(),
    trigger: kinds.trigger.optional(),
    rows_unchanged: kinds.rows_unchanged.optional(),
    concurrent: kinds.concurrent.optional(),
  })
  .superRefine((c, ctx) => {
    const present = KIND_NAMES.filter((k) => (c as Record<string, unknown>)[k] !== undefined);
    if (present.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `a check needs exactly one of ${KIND_NAMES.join(', ')} (found ${present.length ? present.join(', ') : 'none'})`,
      });
    if (present[0] === 'sql' && c.expect === undefined)
      ctx.addIssue({ code: 'custom', path: ['expect'], message: 'an sql check needs expect' });
    if (present[0] === 'concurrent' && !c.then)
      ctx.addIssue({
        code: 'custom',
        path: ['then'],
        message: 'a concurrent check needs then: { sql, expect }',
      });
    if (c.as && present[0] !== 'sql')
      ctx.addIssue({ code: 'custom', path: ['as'], message: 'as: works with sql checks only' });
  });

export type CheckInput = z.input<typeof checkSchema>;
type ParsedCheck = z.infer<typeof checkSchema>;

export const checksFileSchema = z.array(checkSchema);

/** What the runner does for one check. */
export type CheckPlan =
  | { kind: 'catalog'; sql: string; params: unknown[]; target: string }
  | {
      kind: 'sql';
      sql: string;
      expect: Expectation;
      as?: { role: string; settings: Record<string, string | number> };
      writes: boolean;
    }
  | {
      kind: 'concurrent';
      times: number;
      sql: string;
      /** The `then` query of the check file. */
      after: { sql: string; expect: Expectation };
      /** Runs once, committed, before the calls (cleanup undoes it). */
      setup?: string;
      cleanup?: string;
    }
  | { kind: 'rows_unchanged'; tables: string[] | true };

export interface Check {
  readonly name: string;
  readonly kind: KindName;
  readonly severity: 'blocker' | 'warning';
  readonly timeoutMs?: number;
  /** Where it came from: "024_x.checks.yml[3]" or "deploy.yml environments[1].checks[0]". */
  readonly source: string;
  readonly plan: CheckPlan;
}

const split = (name: string): [string, string] => {
  const [a, b] = name.split('.');
  return b === undefined ? ['public', a!] : [a!, b];
};

/** Conditions with numbered parameters, for the catalog queries below. */
class Where {
  readonly params: unknown[] = [];
  readonly parts: string[] = [];
  add(sqlWithQ: string, ...values: unknown[]): this {
    let out = sqlWithQ;
    for (const v of values) {
      this.params.push(v);
      out = out.replace('?', `$${this.params.length}`);
    }
    this.parts.push(out);
    return this;
  }
  p(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  get cond(): string {
    return this.parts.length ? this.parts.join(' and ') : 'true';
  }
}

/** A catalog query returning one row: ok (boolean) and actual (what exists, as text). */
function catalog(target: string, build: (w: Where) => string): CheckPlan {
  const w = new Where();
  const sql = build(w);
  return { kind: 'catalog', sql, params: w.params, target };
}

const norm = (expr: string) => `lower(regexp_replace(${expr}, '[()\\s]|::[a-z ]+', '', 'g'))`;

function compile(c: ParsedCheck): { kind: KindName; plan: CheckPlan } {
  const kind = KIND_NAMES.find((k) => c[k as keyof ParsedCheck] !== undefined)!;
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
    case 'grant': {
      const g = c.grant!;
      const privilege = (g.privilege ?? (g.table ? 'SELECT' : 'EXECUTE')).toUpperCase();
      const object = (g.table ?? g.function)!;
      return {
        kind,
        plan: catalog(`${privilege} on ${object} to ${g.to.join(', ')}`, (w) => {
          const roles = w.p(g.to);
          const priv = w.p(privilege);
          const has = g.table
            ? `has_table_privilege(r, ${w.p(object.includes('.') ? object : `public.${object}`)}, ${priv})`
            : `has_function_privilege(r, (select p.oid from pg_proc p join pg_namespace ns on ns.oid = p.pronamespace where ns.nspname = ${w.p(split(object)[0])} and p.proname = ${w.p(split(object)[1])} limit 1), ${priv})`;
          return `select coalesce(bool_and(h), false) as ok,
            coalesce(string_agg(r || case when h then ' ✓' when h is null then ' (no such object)' else ' ✗' end, ', '), '') as actual
            from (select r, ${has} as h from unnest(${roles}::text[]) r) x`;
        }),
      };
    }
    case 'rls': {
      const r = c.rls!;
      const [schema, table] = split(r.table);
      const want = [
        r.enabled ? 'enabled' : 'disabled',
        r.forced === undefined ? '' : r.forced ? 'forced' : 'not forced',
        r.policies ? `policies ${r.policies.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return {
        kind,
        plan: catalog(`RLS on ${table}: ${want}`, (w) => {
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
        }),
      };
    }
    case 'policy': {
      const p = c.policy!;
      const [schema, table] = split(p.table);
      const cmd = p.command
        ? { all: '*', select: 'r', insert: 'a', update: 'w', delete: 'd' }[p.command]
        : undefined;
      return {
        kind,
        plan: catalog(
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
        ),
      };
    }
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

const timeoutMs = (t: ParsedCheck['timeout']) =>
  t === undefined
    ? undefined
    : typeof t === 'number'
      ? t
      : Number.parseInt(t, 10) * (t.endsWith('ms') ? 1 : t.endsWith('m') ? 60_000 : 1000);

/** Validate checks (from a file or deploy.yml); every problem at once, each with its source and path. */
export function parseChecks(
  raw: unknown,
  source: string,
): { ok: true; checks: Check[] } | { ok: false; problems: string[] } {
  const parsed = checksFileSchema.safeParse(raw ?? []);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => {
        const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
        const detail =
          i.code === 'unrecognized_keys'
            ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`
            : i.message;
        return `${source}${path}: ${detail}`;
      }),
    };
  return {
    ok: true,
    checks: parsed.data.map((c, i) => {
      const { kind, plan } = compile(c);
      return {
        name: c.name,
        kind,
        severity: c.severity,
        timeoutMs: timeoutMs(c.timeout),
        source: `${source}[${i}]`,
        plan,
      };
    }),
  };
}

/** Judge a catalog query's single row. */
export function judgeCatalog(target: string, row: { ok: boolean; actual: string } | undefined): Verdict {
  return { pass: !!row?.ok, target, actual: row?.actual ?? 'missing' };
}

export { evaluate, type QueryResult, type Verdict };

export interface CheckResult {
  readonly name: string;
  readonly kind: string;
  readonly severity: 'blocker' | 'warning';
  readonly source: string;
  readonly status: 'pass' | 'fail' | 'error';
  readonly target: string;
  readonly actual: string;
  readonly durationMs: number;
  /** A query error, as a sentence with the Postgres code. */
  readonly error?: string;
}

export interface CheckSummary {
  readonly passed: number;
  readonly total: number;
  readonly warnings: number;
  readonly blockersFailed: number;
}

export function summarize(results: readonly CheckResult[]): CheckSummary {
  return {
    passed: results.filter((r) => r.status === 'pass').length,
    total: results.length,
    warnings: results.filter((r) => r.status !== 'pass' && r.severity === 'warning').length,
    blockersFailed: results.filter((r) => r.status !== 'pass' && r.severity === 'blocker').length,
  };
}
