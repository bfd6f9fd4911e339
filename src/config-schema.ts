/** The shape of deploy.yml (zod): durations, approval rules, windows, environments and monitoring. */
import { z } from 'zod';
import { approvalsSchema } from './config-approvals.js';
import { SERVICE_NAME, serviceShape, servicesProblems } from './config-services.js';
import { afterActionSchema, notifySchema } from './deploy/after-schema.js';
import { LAYOUT_NAMES } from './deploy/layouts/model.js';
import { lintSchema } from './deploy/lint-rules.js';
import { BUILTIN_METRICS } from './deploy/metrics.js';
import { parseThreshold } from './deploy/monitoring.js';
import { DAYS, isValidTimezone } from './deploy/schedule.js';
import { metricSourceProblems, metricSourceShape, urlsSchema } from './deploy/signal-schema.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** How a duration is written: "2s", "500ms", "5m", "1h", "1d", or a number of milliseconds. */
export const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;

/** "2s", "500ms", "5m", "1h" or a bare number of milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const m = DURATION.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1));
}

export const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; write it like 500ms, 2s, 5m or 1h` });
    return z.NEVER;
  }
  return ms;
});

/** How deploy.yml names a secret: ${ENV_VAR}, read from the environment. */
export const envVarRef = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'write times as HH:MM, e.g. "02:00"');
const windowSchema = z
  .strictObject({
    days: z.array(z.enum(DAYS)).min(1),
    from: hhmm,
    to: hhmm,
    timezone: z
      .string()
      .refine(isValidTimezone, 'not a time zone; use an IANA name such as UTC or Europe/Berlin'),
  })
  .refine((w) => w.from !== w.to, { message: 'from and to must differ', path: ['to'] });

/** A run-time parameter's name as PostgreSQL spells it: `search_path`, `role`, or a custom `app.tenant`. */
export const GUC_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** Session settings for every file applied or rolled back on an environment: { search_path: "storage, public" }. */
const settingsSchema = z
  .record(z.string(), z.unknown(), {
    error: 'write settings as name: value pairs, e.g. { search_path: "storage, public", role: migrator }',
  })
  .transform((settings, ctx) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(settings)) {
      if (!GUC_NAME.test(name))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `"${name}" is not a setting name; write it as PostgreSQL does (search_path, role, app.tenant)`,
        });
      else if (!['string', 'number', 'boolean'].includes(typeof value) || String(value).includes('\0'))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'write the value as a string, a number or true/false',
        });
      else out[name] = String(value);
    }
    return out;
  });

/** `backup: affected-tables`, or `{ tables: affected-tables, keepFor: 14d }` (docs/backups.md). */
const AFFECTED = z.literal('affected-tables', { error: 'the only kind of backup is "affected-tables"' });
const KEEP_BACKUPS = 30 * 86_400_000;
const backupSchema = z.union(
  [
    AFFECTED.transform((tables) => ({ tables, keepFor: KEEP_BACKUPS })),
    z.strictObject({ tables: AFFECTED, keepFor: duration.default(KEEP_BACKUPS) }),
  ],
  {
    // An object says what is wrong inside it (its keepFor); anything else gets the two ways to write it.
    error: (issue) =>
      (issue.input !== null && typeof issue.input === 'object'
        ? (issue as { errors?: { message: string }[][] }).errors?.[1]?.[0]?.message
        : undefined) ?? 'write backup: affected-tables, or backup: { tables: affected-tables, keepFor: 30d }',
  },
);

const environmentSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'use lowercase letters, digits, - and _ (for example "staging")'),
  /** The database (absent when deploy.yml has services:, whose databases are given per service). */
  database: z
    .string()
    .regex(
      envVarRef,
      'write ${ENV_VAR} and put the URL in that environment variable (secrets never go in deploy.yml)',
    )
    .optional(),
  /** The first lock attempt's wait; each later attempt waits twice as long, up to lockTimeout (docs/locks.md). */
  firstLockTimeout: duration.default(100),
  lockTimeout: duration.default(2000),
  statementTimeout: duration.default(300_000),
  lockRetries: z.int().min(0).max(50).default(5),
  retryBackoff: duration.default(500),
  settings: settingsSchema.optional(),
  /** Base URLs that http checks and metrics name (docs/signals.md), each from an environment variable. */
  urls: urlsSchema.optional(),
  approvals: approvalsSchema.optional(),
  allowSelfApproval: z.boolean().default(false),
  window: windowSchema.optional(),
  expiresAfter: duration.default(3 * 86_400_000),
  remindEvery: duration.default(4 * 3_600_000),
  /** Checks run on this environment in every verify step (validated with the check file schema). */
  checks: z.array(z.unknown()).optional(),
  /** A plan name from monitoring.plans: the monitor step after verify. */
  monitor: z.string().optional(),
  /** Roll back at once when a rollback: true metric goes critical (otherwise a rollback gate opens). */
  autoRollback: z.boolean().default(false),
  /** Whether checks that write (writes: true, concurrent) may run here on command, outside a run's verify step. */
  onDemandWrites: z.boolean().default(false),
  /** Copy the tables the pending files change into migration_gate_backup before apply (docs/backups.md). */
  backup: backupSchema.optional(),
  /** Channels told of runs that go here, and of this environment's gates and critical alerts (docs/after.md). */
  notify: notifySchema.optional(),
  /** Webhooks and pull requests to merge once this environment succeeded or failed (docs/after.md). */
  after: z.array(afterActionSchema).optional(),
});

const threshold = z.string().refine((t) => parseThreshold(t) !== undefined, {
  message: 'write a line like "> 0", ">= 15", "> 1%" or "> baseline + 20%"',
});

const phaseSchema = z
  .strictObject({ every: duration, for: duration.optional(), until: duration.optional() })
  .refine(
    (p) => (p.for === undefined) !== (p.until === undefined),
    'give a phase either for: (how long) or until: (since the start)',
  )
  .refine((p) => p.every > 0, { message: 'every must be longer than 0', path: ['every'] });

const FUNCTION_METRICS = ['function_calls', 'function_mean_ms'];
const metricSchema = z
  .strictObject({
    metric: z.enum(BUILTIN_METRICS).optional(),
    function: z.string().min(1).optional(),
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]*$/, 'a name like shield_failures')
      .optional(),
    sql: z.string().min(1).optional(),
    ...metricSourceShape,
    warn: threshold.optional(),
    critical: threshold.optional(),
    consecutive: z.int().min(1).max(100).default(1),
    rollback: z.boolean().default(false),
    dryRun: z.boolean().default(false),
    /** With services: the one service this metric watches (its database, its URLs); otherwise every service. */
    service: z.string().regex(SERVICE_NAME, 'a service name from services:').optional(),
  })
  .superRefine((m, ctx) => {
    metricSourceProblems(m, ctx);
    if (m.metric && FUNCTION_METRICS.includes(m.metric) && !m.function)
      ctx.addIssue({
        code: 'custom',
        path: ['function'],
        message: `${m.metric} needs function: (the function's name)`,
      });
    if (m.rollback && !m.critical && !m.check && !m.down)
      ctx.addIssue({
        code: 'custom',
        path: ['rollback'],
        message: 'rollback: true needs a critical: line to trigger it',
      });
  });

const monitoringSchema = z.strictObject({
  plans: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), z.array(phaseSchema).min(1)).default({}),
  metrics: z.array(metricSchema).default([]),
  oncall: z
    .string()
    .regex(/^S[A-Z0-9]{2,}$/, 'a Slack user group id like S01ONCALL')
    .optional(),
});

/**
 * The migrations folder: `./dir` (its layout detected), or `{ path: ./dir, layout: prisma }` (docs/layouts.md).
 */
export const migrationsSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { path: v } : v),
  z.strictObject(
    {
      path: z.string({ error: 'the folder, relative to deploy.yml (e.g. ./migrations)' }).min(1),
      layout: z
        .enum(['auto', ...LAYOUT_NAMES], { error: `one of auto, ${LAYOUT_NAMES.join(', ')}` })
        .default('auto'),
    },
    { error: 'write a folder (migrations: ./migrations) or { path: ./migrations, layout: prisma }' },
  ),
);

/** One service of `services:` (docs/services.md). */
const serviceSchema = z.strictObject({ ...serviceShape, migrations: migrationsSchema });

/** The whole of deploy.yml. */
export const fileSchema = z
  .strictObject({
    monitoring: monitoringSchema.optional(),
    /** Each lint rule's level: error, warning or off (docs/lint.md); unknown rule names are refused. */
    lint: lintSchema.optional(),
    migrations: migrationsSchema.default({ path: './migrations', layout: 'auto' }),
    /** Several services' databases in one run, each with its own folder and databases (docs/services.md). */
    services: z.array(serviceSchema).min(1, 'list at least one service, or leave services: out').optional(),
    /** Channels told when any run starts, waits for a gate, ends or raises a critical (docs/after.md). */
    notify: notifySchema.optional(),
    environments: z
      .array(environmentSchema)
      .min(1, 'list at least one environment')
      .superRefine((envs, ctx) => {
        const seen = new Set<string>();
        envs.forEach((e, i) => {
          if (seen.has(e.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${e.name}" is listed twice` });
          seen.add(e.name);
        });
      }),
  })
  // Run even when other keys are wrong (`when`), so every problem is reported at once (config-services.ts).
  .superRefine(servicesProblems, { when: () => true });
