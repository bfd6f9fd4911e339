/** deploy.yml + the environment → a frozen DeployConfig; database URLs come from the ${VAR}s it names. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type AfterAction, resolveAfter, resolveNotify } from './config-after.js';
import { approvalsOf } from './config-approvals.js';
import { ConfigError, zodProblems } from './config-error.js';
import { fileLabel, locateProblem, readYaml } from './config-locate.js';
import { envVarRef, fileSchema } from './config-schema.js';
import { resolveServices, type Service } from './config-services.js';
import { CHECK_FAILS, type EnvUrl, metricSourceOf, missingUrls, resolveUrls } from './config-signals.js';
import type { NotifyTarget } from './deploy/after-rules.js';
import type { ApprovalStage, Rule } from './deploy/approvals.js';
import type { Check } from './deploy/check-schema.js';
import { parseChecks } from './deploy/checks.js';
import type { LayoutSetting } from './deploy/layouts/model.js';
import { type LintLevels, resolveLevels } from './deploy/lint-rules.js';
import { type MetricSource, metricKey } from './deploy/metrics.js';
import { type MetricRule, type Phase, parseThreshold } from './deploy/monitoring.js';
import type { Window } from './deploy/schedule.js';

export type { EnvUrl, Service };

export interface Environment {
  readonly name: string;
  /** The service whose database this is (deploy.yml `services:`; see `targetOf`). */
  readonly service?: string;
  /** Empty in a deploy.yml with services: each service's database is `targetOf(deploy, env, service)`'s. */
  readonly databaseUrl: string;
  readonly databaseVar: string;
  readonly firstLockTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly statementTimeoutMs: number;
  readonly lockRetries: number;
  readonly retryBackoffMs: number;
  /** Session settings (name → value) set for every file applied or rolled back here; none when empty. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Base URLs by name (`urls:`), for http checks and metrics; none when not given. */
  readonly urls?: Readonly<Record<string, EnvUrl>>;
  /** Approval rules (in stages: the first stage's); an environment without them has no gate. */
  readonly approvals: readonly Rule[];
  /** `approvals: { stages: [...] }`: every stage in order, each its own gate (absent for a list of rules). */
  readonly stages?: readonly ApprovalStage[];
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
  /** Copy the tables the pending files change before apply, kept `keepForMs` (docs/backups.md). */
  readonly backup?: { readonly tables: 'affected-tables'; readonly keepForMs: number };
  /** Channels told of runs that go here and of its gates and critical alerts (docs/after.md). */
  readonly notify?: readonly NotifyTarget[];
  /** What is done once this environment succeeded or failed, in order (docs/after.md). */
  readonly after?: readonly AfterAction[];
}

export interface MonitorMetric {
  readonly source: MetricSource;
  readonly rule: MetricRule;
  /** With services: the one service it watches (absent: every service's monitor step reads it). */
  readonly service?: string;
}

export interface Monitoring {
  readonly metrics: readonly MonitorMetric[];
  readonly oncall?: string;
}

export interface DeployConfig {
  readonly source: string;
  readonly migrationsDir: string;
  /** The folder's layout (docs/layouts.md); auto detects it from the files. */
  readonly migrationsLayout: LayoutSetting;
  readonly environments: readonly Environment[];
  readonly monitoring: Monitoring;
  /** Each lint rule's level: deploy.yml's lint: over the defaults (docs/lint.md). */
  readonly lint: LintLevels;
  /** Channels told of every run (docs/after.md). */
  readonly notify?: readonly NotifyTarget[];
  /** Several services' databases, deployed in one run in this order (docs/services.md); absent for one database. */
  readonly services?: readonly Service[];
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
  // Every problem is shown as deploy.yml:line:column: path: what is wrong (config-locate.ts).
  const label = fileLabel(source);
  const read = readYaml(text);
  if (!read.ok)
    throw new ConfigError(
      source,
      read.errors.map((e) => `not valid YAML: ${e.message}`),
      read.errors.map((e) => `${label}:${e.at.line}:${e.at.col}: not valid YAML: ${e.message}`),
    );
  const invalid = (problems: string[]) =>
    new ConfigError(
      source,
      problems,
      problems.map((p) => locateProblem(read, label, p)),
    );
  const parsed = fileSchema.safeParse(read.value ?? {});
  if (!parsed.success) throw invalid(zodProblems(parsed.error));
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
  const needs = (name: string) => !options.databasesFor || options.databasesFor.includes(name);
  const environments = parsed.data.environments.map((e, i) => {
    const variable = e.database ? (envVarRef.exec(e.database)?.[1] ?? '') : '';
    const given = env[variable];
    const url = given && /^postgres(ql)?:\/\//.test(given) ? given : undefined;
    const needed = needs(e.name);
    const urls = resolveUrls(e, i, env, needed, problems);
    if (needed && e.database) {
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
      firstLockTimeoutMs: Math.min(e.firstLockTimeout, e.lockTimeout),
      lockTimeoutMs: e.lockTimeout,
      statementTimeoutMs: e.statementTimeout,
      lockRetries: e.lockRetries,
      retryBackoffMs: e.retryBackoff,
      ...(e.settings ? { settings: e.settings } : {}),
      ...(urls ? { urls } : {}),
      ...approvalsOf(e.approvals),
      allowSelfApproval: e.allowSelfApproval,
      window: e.window,
      expiresAfterMs: e.expiresAfter,
      remindEveryMs: e.remindEvery,
      checks: envChecks(e.checks, i, problems),
      monitor: e.monitor === undefined ? undefined : planFor(e.monitor, i),
      autoRollback: e.autoRollback,
      onDemandWrites: e.onDemandWrites,
      ...(e.backup ? { backup: { tables: e.backup.tables, keepForMs: e.backup.keepFor } } : {}),
      ...(e.notify ? { notify: resolveNotify(e.notify) } : {}),
      ...(e.after ? { after: resolveAfter(e, i, env, needed, problems) } : {}),
    };
  });
  const { path: migrationsPath, layout: migrationsLayout } = parsed.data.migrations;
  const migrationsDir = resolve(dirname(source), migrationsPath);
  const services = parsed.data.services
    ? resolveServices(
        parsed.data.services,
        environments.map((e) => e.name),
        source,
        env,
        needs,
        problems,
      )
    : undefined;
  if ((read.value as { migrations?: unknown } | null)?.migrations !== undefined && services)
    problems.push(
      'migrations: with services:, each service names its own folder (services[].migrations); remove this line',
    );
  else if (!services && !existsSync(migrationsDir))
    problems.push(`migrations: folder ${migrationsPath} does not exist`);
  problems.push(...missingUrls(parsed.data));
  if (problems.length) throw invalid(problems);
  const monitoring: Monitoring = {
    oncall: parsed.data.monitoring?.oncall,
    metrics: (parsed.data.monitoring?.metrics ?? []).map((m, k) => {
      const src: MetricSource = metricSourceOf(m, k);
      return {
        source: src,
        rule: {
          key: metricKey(src),
          warn: m.warn ? parseThreshold(m.warn) : undefined,
          critical: m.check ? CHECK_FAILS : m.critical ? parseThreshold(m.critical) : undefined,
          consecutive: m.consecutive,
          rollback: m.rollback,
          dryRun: m.dryRun,
          ...(m.down ? { down: m.down } : {}),
        },
        ...(m.service ? { service: m.service } : {}),
      };
    }),
  };
  return Object.freeze({
    source,
    migrationsDir,
    migrationsLayout,
    environments: Object.freeze(environments),
    monitoring,
    lint: resolveLevels(parsed.data.lint),
    ...(parsed.data.notify ? { notify: resolveNotify(parsed.data.notify) } : {}),
    ...(services ? { services: Object.freeze(services) } : {}),
  });
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
