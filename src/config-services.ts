/**
 * deploy.yml `services:`: several services' databases deployed in one run (docs/services.md). Each service has its
 * own migrations folder (and layout) and, per environment, its own database URL, base URLs and settings; the
 * environment keeps what is shared: gates, windows, monitoring plan, backups, notices, after: actions.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { LayoutSetting } from './deploy/layouts/model.js';
import { urlsSchema } from './deploy/signal-schema.js';

const VAR = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/** A base URL from the environment (the same shape as config-signals.ts's EnvUrl). */
interface EnvUrl {
  readonly url: string;
  readonly variable: string;
}
export const SERVICE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

const serviceTargetSchema = z.strictObject({
  database: z
    .string()
    .regex(
      VAR,
      'write ${ENV_VAR} and put the URL in that environment variable (secrets never go in deploy.yml)',
    ),
  /** Base URLs of this service here (its /health, its metrics), added to the environment's own. */
  urls: urlsSchema.optional(),
});

/** One service of deploy.yml `services:`. `migrations` is validated by config-schema's migrationsSchema. */
export const serviceShape = {
  name: z.string().regex(SERVICE_NAME, 'use lowercase letters, digits, - and _ (for example "community")'),
  environments: z.record(z.string(), serviceTargetSchema, {
    error: 'write environments as name: { database: ${ENV_VAR} } pairs, one per environment of deploy.yml',
  }),
};

/** A service's database on one environment, resolved from the environment. */
export interface ServiceTarget {
  readonly databaseUrl: string;
  readonly databaseVar: string;
  readonly urls?: Readonly<Record<string, EnvUrl>>;
}

export interface Service {
  readonly name: string;
  readonly migrationsDir: string;
  readonly migrationsLayout: LayoutSetting;
  /** By environment name: every environment of deploy.yml has one. */
  readonly targets: Readonly<Record<string, ServiceTarget>>;
}

interface RawService {
  name: string;
  migrations: { path: string; layout: LayoutSetting };
  environments: Record<string, { database: string; urls?: Record<string, unknown> }>;
}

function readUrl(
  env: Readonly<Record<string, string | undefined>>,
  ref: unknown,
): { ok: true; url: EnvUrl } | { ok: false; variable: string; given: boolean } {
  const variable = VAR.exec(String(ref))?.[1] ?? '';
  const given = env[variable];
  try {
    if (given && ['http:', 'https:'].includes(new URL(given).protocol))
      return { ok: true, url: { url: given, variable } };
  } catch {}
  return { ok: false, variable, given: !!given };
}

/** Every service resolved from the environment; each problem pushed as `services[i]…: sentence`. */
export function resolveServices(
  raw: readonly RawService[],
  envNames: readonly string[],
  source: string,
  env: Readonly<Record<string, string | undefined>>,
  needed: (envName: string) => boolean,
  problems: string[],
): Service[] {
  const seen = new Set<string>();
  return raw.map((s, i) => {
    const at = `services[${i}]`;
    if (seen.has(s.name)) problems.push(`${at}.name: "${s.name}" is listed twice`);
    seen.add(s.name);
    const migrationsDir = resolve(dirname(source), s.migrations.path);
    if (!existsSync(migrationsDir))
      problems.push(`${at}.migrations: folder ${s.migrations.path} does not exist`);
    for (const name of Object.keys(s.environments))
      if (!envNames.includes(name))
        problems.push(
          `${at}.environments.${name}: there is no environment "${name}" in environments: (${envNames.join(', ')})`,
        );
    const targets: Record<string, ServiceTarget> = {};
    for (const envName of envNames) {
      const t = s.environments[envName];
      if (!t) {
        problems.push(
          `${at}.environments: ${s.name} has no database for ${envName}; add ${envName}: { database: \${${upper(s.name)}_${upper(envName)}_DATABASE_URL} }`,
        );
        continue;
      }
      const variable = VAR.exec(t.database)?.[1] ?? '';
      const given = env[variable];
      const url = given && /^postgres(ql)?:\/\//.test(given) ? given : undefined;
      if (needed(envName)) {
        if (!given)
          problems.push(
            `${at}.environments.${envName}.database: environment variable ${variable} is not set`,
          );
        else if (!url)
          problems.push(
            `${at}.environments.${envName}.database: ${variable} must be a postgres:// or postgresql:// URL (its value is not shown)`,
          );
      }
      const urls: Record<string, EnvUrl> = {};
      for (const [name, ref] of Object.entries(t.urls ?? {})) {
        const read = readUrl(env, ref);
        if (read.ok) urls[name] = read.url;
        else if (needed(envName))
          problems.push(
            read.given
              ? `${at}.environments.${envName}.urls.${name}: ${read.variable} must be an http:// or https:// URL (its value is not shown)`
              : `${at}.environments.${envName}.urls.${name}: environment variable ${read.variable} is not set`,
          );
      }
      targets[envName] = {
        databaseUrl: url ?? '',
        databaseVar: variable,
        ...(t.urls ? { urls } : {}),
      };
    }
    return { name: s.name, migrationsDir, migrationsLayout: s.migrations.layout, targets };
  });
}

const upper = (s: string) => s.toUpperCase().replace(/-/g, '_');

/** The parts of deploy.yml the services rules read, as zod hands them over: possibly half valid. */
interface LooseFile {
  environments?: unknown;
  services?: unknown;
  monitoring?: { metrics?: unknown } | undefined;
}

/**
 * deploy.yml's rules across keys for services: with services, each service names its databases and environments
 * name none; without, each environment names its one database; a metric's service: names a service. The input may
 * be half valid here (the refinement runs with other problems too), so every part is checked before it is read.
 */
export function servicesProblems(file: LooseFile, ctx: z.RefinementCtx): void {
  // With services, each service names its databases; without, each environment names its one database. Run even
  // when other keys are wrong (`when`), so every problem is reported at once: the input may be half valid here.
  const envs = Array.isArray(file.environments) ? file.environments : [];
  envs.forEach((e, i) => {
    if (!e || typeof e !== 'object') return;
    if (file.services && e.database !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['environments', i, 'database'],
        message: `with services:, each service gives its database for ${e.name} (services[].environments.${e.name}.database); remove this line`,
      });
    if (!file.services && e.database === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['environments', i, 'database'],
        message: 'give the database as ${ENV_VAR} (or list services: with a database each)',
      });
  });
  const names = (Array.isArray(file.services) ? file.services : []).map((s) => s?.name);
  const metrics = file.monitoring?.metrics;
  (Array.isArray(metrics) ? metrics : []).forEach((m, k) => {
    if (m && typeof m.service === 'string' && !names.includes(m.service))
      ctx.addIssue({
        code: 'custom',
        path: ['monitoring', 'metrics', k, 'service'],
        message: names.length
          ? `there is no service "${m.service}" in services: (${names.join(', ')})`
          : 'service: is for a deploy.yml with services:; remove it',
      });
  });
}
