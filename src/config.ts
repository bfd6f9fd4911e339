import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Rule } from './deploy/approvals.js';
import { type Check, parseChecks } from './deploy/checks.js';
import { BUILTIN_METRICS, type MetricSource, metricKey } from './deploy/metrics.js';
import { type MetricRule, type Phase, parseThreshold } from './deploy/monitoring.js';
import { DAYS, isValidTimezone, type Window } from './deploy/schedule.js';

/** Raised when deploy.yml or the environment is wrong; `problems` lists every one, each with its path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "2s", "500ms", "5m", "1h" or a bare number of milliseconds. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'ms'] ?? 1));
}

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration; write it like 500ms, 2s, 5m or 1h` });
    return z.NEVER;
  }
  return ms;
});

const envVarRef = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

const ruleSchema = z
  .strictObject({
    role: z.string().min(1).max(40),
    users: z
      .array(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'Slack user ids look like U01ABCDEF'))
      .min(1)
      .optional(),
    usergroup: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'Slack user group ids look like S01ABCDEF')
      .optional(),
    count: z.int().min(1).max(20).default(1),
  })
  .superRefine((r, ctx) => {
    if (!!r.users === !!r.usergroup)
      ctx.addIssue({ code: 'custom', message: `rule "${r.role}" needs exactly one of users or usergroup` });
    if (r.users && new Set(r.users).size < r.count)
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: `rule "${r.role}" needs ${r.count} approvals but lists ${new Set(r.users).size} user(s): it could never pass`,
      });
  });

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

const environmentSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'use lowercase letters, digits, - and _ (for example "staging")'),
  database: z
    .string()
    .regex(
      envVarRef,
      'write ${ENV_VAR} and put the URL in that environment variable (secrets never go in deploy.yml)',
    ),
  lockTimeout: duration.default(2000),
  statementTimeout: duration.default(300_000),
  lockRetries: z.int().min(0).max(50).default(5),
  retryBackoff: duration.default(500),
  approvals: z.array(ruleSchema).optional(),
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
    warn: threshold.optional(),
    critical: threshold.optional(),
    consecutive: z.int().min(1).max(100).default(1),
    rollback: z.boolean().default(false),
    dryRun: z.boolean().default(false),
  })
  .superRefine((m, ctx) => {
    if (!m.metric === !m.sql)
      ctx.addIssue({
        code: 'custom',
        message: 'give either metric: (a built-in) or name: and sql: (a custom metric)',
      });
    if (m.sql && !m.name)
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'a custom metric needs a name' });
    if (m.metric && FUNCTION_METRICS.includes(m.metric) && !m.function)
      ctx.addIssue({
        code: 'custom',
        path: ['function'],
        message: `${m.metric} needs function: (the function's name)`,
      });
    if (m.rollback && !m.critical)
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

const fileSchema = z.strictObject({
  monitoring: monitoringSchema.optional(),
  migrations: z.string().min(1).default('./migrations'),
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
});

export interface Environment {
  readonly name: string;
  readonly databaseUrl: string;
  readonly databaseVar: string;
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly lockRetries: number;
  readonly retryBackoffMs: number;
  /** Approval rules; an environment without them has no gate. */
  readonly approvals: readonly Rule[];
  readonly allowSelfApproval: boolean;
  readonly window?: Window;
  readonly expiresAfterMs: number;
  readonly remindEveryMs: number;
  /** Environment-wide checks, run in every verify step there. */
  readonly checks: readonly Check[];
  /** The monitoring plan after verify, if any. */
  readonly monitor?: { readonly plan: string; readonly phases: readonly Phase[] };
  readonly autoRollback: boolean;
  readonly onDemandWrites: boolean;
}

export interface MonitorMetric {
  readonly source: MetricSource;
  readonly rule: MetricRule;
}

export interface Monitoring {
  readonly metrics: readonly MonitorMetric[];
  readonly oncall?: string;
}

export interface DeployConfig {
  readonly source: string;
  readonly migrationsDir: string;
  readonly environments: readonly Environment[];
  readonly monitoring: Monitoring;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}

function zodProblems(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    const path = formatPath(i.path) || '(top level)';
    if (i.code === 'unrecognized_keys')
      return `${path}: unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path}: ${i.message}`;
  });
}

function envChecks(raw: unknown[] | undefined, i: number, problems: string[]): Check[] {
  if (!raw) return [];
  const parsed = parseChecks(raw, `environments[${i}].checks`);
  if (parsed.ok) return parsed.checks;
  problems.push(...parsed.problems);
  return [];
}

export interface LoadOptions {
  /**
   * The environments whose database variable must be set (default: all). The CLI names the one it verifies;
   * another environment's URL is then read if it is set and valid, and left empty otherwise.
   */
  readonly databasesFor?: readonly string[];
}

/** Parse deploy.yml text. `env` is the process environment (the only place secrets come from). */
export function parseDeployConfig(
  text: string,
  source: string,
  env: Readonly<Record<string, string | undefined>>,
  options: LoadOptions = {},
): DeployConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ConfigError(source, [`not valid YAML: ${(e as Error).message.split('\n')[0]}`]);
  }
  const parsed = fileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(source, zodProblems(parsed.error));
  const problems: string[] = [];
  const plans = parsed.data.monitoring?.plans ?? {};
  const planFor = (name: string, i: number) => {
    const phases = plans[name];
    if (!phases) {
      problems.push(
        `environments[${i}].monitor: there is no plan "${name}" in monitoring.plans (${Object.keys(plans).join(', ') || 'none defined'})`,
      );
      return undefined;
    }
    return {
      plan: name,
      phases: phases.map((p) => ({ everyMs: p.every, forMs: p.for, untilMs: p.until })),
    };
  };
  const environments = parsed.data.environments.map((e, i) => {
    const variable = envVarRef.exec(e.database)?.[1] ?? '';
    const given = env[variable];
    const url = given && /^postgres(ql)?:\/\//.test(given) ? given : undefined;
    if (!options.databasesFor || options.databasesFor.includes(e.name)) {
      if (!given) problems.push(`environments[${i}].database: environment variable ${variable} is not set`);
      else if (!url)
        problems.push(
          `environments[${i}].database: ${variable} must be a postgres:// or postgresql:// URL (its value is not shown)`,
        );
    }
    return {
      name: e.name,
      databaseUrl: url ?? '',
      databaseVar: variable,
      lockTimeoutMs: e.lockTimeout,
      statementTimeoutMs: e.statementTimeout,
      lockRetries: e.lockRetries,
      retryBackoffMs: e.retryBackoff,
      approvals: e.approvals ?? [],
      allowSelfApproval: e.allowSelfApproval,
      window: e.window,
      expiresAfterMs: e.expiresAfter,
      remindEveryMs: e.remindEvery,
      checks: envChecks(e.checks, i, problems),
      monitor: e.monitor === undefined ? undefined : planFor(e.monitor, i),
      autoRollback: e.autoRollback,
      onDemandWrites: e.onDemandWrites,
    };
  });
  const migrationsDir = resolve(dirname(source), parsed.data.migrations);
  if (!existsSync(migrationsDir))
    problems.push(`migrations: folder ${parsed.data.migrations} does not exist`);
  if (problems.length) throw new ConfigError(source, problems);
  const monitoring: Monitoring = {
    oncall: parsed.data.monitoring?.oncall,
    metrics: (parsed.data.monitoring?.metrics ?? []).map((m) => {
      const src: MetricSource = m.sql
        ? { kind: 'custom', name: m.name!, sql: m.sql }
        : { kind: 'builtin', metric: m.metric!, function: m.function };
      return {
        source: src,
        rule: {
          key: metricKey(src),
          warn: m.warn ? parseThreshold(m.warn) : undefined,
          critical: m.critical ? parseThreshold(m.critical) : undefined,
          consecutive: m.consecutive,
          rollback: m.rollback,
          dryRun: m.dryRun,
        },
      };
    }),
  };
  return Object.freeze({ source, migrationsDir, environments: Object.freeze(environments), monitoring });
}

export function loadDeployConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  options: LoadOptions = {},
): DeployConfig {
  const source = resolve(path);
  if (!existsSync(source))
    throw new ConfigError(source, [
      'file not found; set DEPLOY_CONFIG to the path of your deploy.yml (see docs/configuration.md)',
    ]);
  return parseDeployConfig(readFileSync(source, 'utf8'), source, env, options);
}

const appEnvSchema = z.object({
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'must be a bot token (xoxb-…)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'must be an app-level token (xapp-…)').optional(),
  SLACK_API_URL: z.url().optional(),
  SLACK_BOT_USER_ID: z.string().default('UMIGRATIONGATE'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DEPLOY_CONFIG: z.string().default('./deploy.yml'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('./.data'),
  SANDBOX_SEED: z.string().default('./sandbox/seed.yml'),
  /** Sandbox mode deploys only to demo databases it creates, unless this says to use deploy.yml's URLs. */
  SANDBOX_USE_DATABASE_URLS: z
    .enum(['1', 'true', '0', 'false'], 'must be 1 (deploy to the URLs in the environment) or 0')
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
});

export type AppEnv = z.infer<typeof appEnvSchema>;

/** The bot's own settings from the environment; every problem at once. */
export function loadAppEnv(env: Readonly<Record<string, string | undefined>>): AppEnv {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = appEnvSchema.safeParse(cleaned);
  // Every problem at once: the ones between variables too, judged on what is set.
  const problems = parsed.success ? [] : zodProblems(parsed.error);
  const set = (name: string) => cleaned[name] !== undefined;
  if (set('SLACK_BOT_TOKEN') && !set('SLACK_SIGNING_SECRET') && !set('SLACK_APP_TOKEN'))
    problems.push('SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  if (!set('SLACK_BOT_TOKEN') && set('SLACK_APP_TOKEN'))
    problems.push('SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN is set');
  if (problems.length || !parsed.success) throw new ConfigError('environment', problems);
  return Object.freeze(parsed.data);
}

/** Values that must never reach Slack, logs or reports. */
export function secretsOf(env: AppEnv, deploy: DeployConfig | undefined): string[] {
  const out = [env.SLACK_BOT_TOKEN, env.SLACK_SIGNING_SECRET, env.SLACK_APP_TOKEN];
  for (const url of [env.DATABASE_URL, ...(deploy?.environments.map((e) => e.databaseUrl) ?? [])]) {
    if (!url) continue;
    out.push(url);
    try {
      const p = new URL(url).password;
      if (p) out.push(decodeURIComponent(p), p);
    } catch {
      /* not a URL: the whole value is already listed */
    }
  }
  return [...new Set(out.filter((s): s is string => !!s && s.length >= 4))];
}
