/** The YAML shape of a check (zod), and what a valid one compiles to: a named plan for the runner. Pure. */
import { z } from 'zod';
import { type Expectation, expectationSchema } from './expectations.js';
import { type HttpCheckPlan, httpCheckSchema } from './http-check.js';

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
  /** The application's own answer: `{ url: community, path: /health, status: 200, within: 500ms }`. */
  http: httpCheckSchema,
} as const;

export type KindName = keyof typeof kinds;
export const KIND_NAMES = Object.keys(kinds) as KindName[];

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
    http: kinds.http.optional(),
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
    if (present[0] === 'http' && (c.http?.json === undefined) !== (c.expect === undefined))
      ctx.addIssue({
        code: 'custom',
        path: c.expect === undefined ? ['expect'] : ['http', 'json'],
        message:
          c.expect === undefined
            ? 'http.json: needs expect: (the value wanted at that path, e.g. expect: ok)'
            : 'expect: on an http check needs http.json: (where in the JSON answer to read the value, e.g. $.status)',
      });
    if (c.as && present[0] !== 'sql')
      ctx.addIssue({ code: 'custom', path: ['as'], message: 'as: works with sql checks only' });
    for (const key of ['then', 'cleanup'] as const)
      if (c[key] !== undefined && present[0] !== 'concurrent')
        ctx.addIssue({ code: 'custom', path: [key], message: `${key}: works with concurrent checks only` });
  });

export type CheckInput = z.input<typeof checkSchema>;
export type ParsedCheck = z.infer<typeof checkSchema>;

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
  | { kind: 'rows_unchanged'; tables: string[] | true }
  | HttpCheckPlan;

export interface Check {
  readonly name: string;
  readonly kind: KindName;
  readonly severity: 'blocker' | 'warning';
  readonly timeoutMs?: number;
  /** Where it came from: "024_x.checks.yml[3]" or "deploy.yml environments[1].checks[0]". */
  readonly source: string;
  readonly plan: CheckPlan;
}
