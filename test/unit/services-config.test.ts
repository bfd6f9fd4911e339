/**
 * deploy.yml `services:` (docs/services.md): the RLS rollout sample (examples/rls-rollout/deploy.yml) loads into
 * three services with a database and URLs per environment and the metrics each watches, is valid against the
 * published JSON Schema, and every services mistake is said at once, each with its path and line.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAppEnv, secretsOf } from '../../src/app-env.js';
import { loadDeployConfig, parseDeployConfig } from '../../src/config.js';
import { ConfigError } from '../../src/config-error.js';
import { deployJsonSchema } from '../../src/config-json-schema.js';
import { fileSchema } from '../../src/config-schema.js';
import { parseChecks } from '../../src/deploy/checks.js';
import { discoverMigrations } from '../../src/target/files.js';
import { metricsFor, targetOf } from '../../src/targets.js';

const ROOT = join(import.meta.dirname, '../..');
const SAMPLE = join(ROOT, 'examples/rls-rollout/deploy.yml');
const SERVICES = ['community', 'marketplace', 'academy'];
const ENVS = ['staging', 'production'];

/** Every variable the sample names, set as an operator would. */
const VARS: Record<string, string> = {
  STAGING_PROMETHEUS_URL: 'http://prometheus.staging.internal:9090',
  PRODUCTION_PROMETHEUS_URL: 'http://prometheus.production.internal:9090',
  RELEASE_HOOK_URL: 'https://releases.internal/hooks/migrations',
  RELEASE_HOOK_SECRET: 'hook-secret-1234',
  GITHUB_TOKEN: 'ghp_token1234',
};
for (const s of SERVICES)
  for (const e of ENVS) {
    VARS[`${s.toUpperCase()}_${e.toUpperCase()}_DATABASE_URL`] = `postgres://u:pw-${s}@db-${e}.internal/${s}`;
    VARS[`${s.toUpperCase()}_${e.toUpperCase()}_URL`] = `https://${s}.${e}.internal`;
  }

describe('the RLS rollout sample (examples/rls-rollout/deploy.yml)', () => {
  const deploy = loadDeployConfig(SAMPLE, VARS);

  it('has three services in deploy order, each its folder and, per environment, its database and app URL', () => {
    expect(deploy.services?.map((s) => s.name)).toEqual(SERVICES);
    for (const s of deploy.services ?? []) {
      expect(s.migrationsDir).toBe(join(ROOT, 'examples/rls-rollout/services', s.name));
      expect(Object.keys(s.targets)).toEqual(ENVS);
    }
    // Environments keep no database of their own: targetOf gives each service's, with the URLs merged.
    expect(deploy.environments.map((e) => [e.name, e.databaseUrl])).toEqual([
      ['staging', ''],
      ['production', ''],
    ]);
    const community = targetOf(deploy, 'production', 'community');
    expect(community).toMatchObject({
      name: 'production',
      service: 'community',
      databaseUrl: VARS.COMMUNITY_PRODUCTION_DATABASE_URL,
      databaseVar: 'COMMUNITY_PRODUCTION_DATABASE_URL',
    });
    expect(community?.urls).toEqual({
      prometheus: { url: VARS.PRODUCTION_PROMETHEUS_URL, variable: 'PRODUCTION_PROMETHEUS_URL' },
      app: { url: VARS.COMMUNITY_PRODUCTION_URL, variable: 'COMMUNITY_PRODUCTION_URL' },
    });
    expect(targetOf(deploy, 'staging', 'academy')?.databaseUrl).toBe(VARS.ACADEMY_STAGING_DATABASE_URL);
    expect(targetOf(deploy, 'staging', 'nosuch')).toBeUndefined();
  });

  it('shares the gates, window, plans and after: actions of each environment', () => {
    const [staging, production] = deploy.environments;
    expect(staging).toMatchObject({ approvals: [], monitor: { plan: 'staging' } });
    expect(production?.stages?.map((s) => s.name)).toEqual(['technical', 'business', 'go/no-go']);
    expect(production?.window).toEqual({
      days: ['tue', 'wed', 'thu'],
      from: '02:00',
      to: '05:00',
      timezone: 'UTC',
    });
    expect(production).toMatchObject({ monitor: { plan: 'rollout' }, autoRollback: true });
    expect(production?.after?.map((a) => [a.label, a.on, a.gate])).toEqual([
      ['webhook RELEASE_HOOK_URL', 'always', false],
      ['merge acme/platform#1402', 'success', true],
    ]);
    expect(deploy.notify?.map((n) => n.channel)).toEqual(['#engineering-alerts']);
  });

  it('gives each service its own error rate, p99 and RLS metrics, and every service app_up and connect_ms', () => {
    for (const s of SERVICES) {
      const watched = metricsFor(deploy, s).map((m) => ({
        key: m.rule.key,
        kind: m.source.kind,
        critical: m.rule.critical?.text,
        consecutive: m.rule.consecutive,
        rollback: m.rule.rollback,
        down: m.rule.down,
      }));
      const rule = { consecutive: 1, rollback: true, down: undefined };
      expect(watched).toEqual([
        { key: `${s}_error_rate`, kind: 'prometheus', critical: '> 5', ...rule, consecutive: 5 },
        { key: `${s}_p99_ms`, kind: 'prometheus', critical: '> 1000', ...rule },
        { key: `${s}_rls`, kind: 'check', critical: 'fails', ...rule },
        { key: 'app_up', kind: 'http', critical: undefined, ...rule, down: 2 },
        { key: 'connect_ms', kind: 'builtin', critical: undefined, ...rule, rollback: false, down: 2 },
      ]);
    }
  });

  it('has one migration per service with its down file and checks (RLS, isolation as a role, /health)', () => {
    for (const s of deploy.services ?? []) {
      const found = discoverMigrations(s.migrationsDir, s.migrationsLayout);
      expect(found.problems).toEqual([]);
      expect(found.migrations.map((m) => [m.id, !!m.downPath, !!m.checksPath])).toEqual([
        [expect.stringMatching(/^001_\w+_rls$/), true, true],
      ]);
      const m = found.migrations[0]!;
      const checks = parseChecks(parse(m.checksText ?? ''), m.checksFileName ?? '');
      if (!checks.ok) throw new Error(checks.problems.join('\n'));
      expect(checks.checks.map((c) => c.kind)).toEqual(['rls', 'sql', 'http']);
      expect(m.text).toMatch(/force row level security/);
    }
  });

  it('never shows any service’s database or application URL', () => {
    const secrets = secretsOf(loadAppEnv({}), deploy);
    for (const [name, value] of Object.entries(VARS))
      if (name.endsWith('_DATABASE_URL') || /_(STAGING|PRODUCTION)_URL$/.test(name))
        expect(secrets, name).toContain(value);
  });

  it('is valid against the published JSON Schema and the zod schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    const validate = ajv.compile(deployJsonSchema());
    const text = readFileSync(SAMPLE, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/deploy.schema.json');
    const value = parse(text);
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    expect(fileSchema.safeParse(value).success).toBe(true);
    // The JSON Schema says what it can of the services rule: no environment database with services, one without.
    const withDb = structuredClone(value);
    withDb.environments[0].database = '${STAGING_DATABASE_URL}';
    expect(validate(withDb)).toBe(false);
    const { services: _, ...without } = value;
    expect(validate(without)).toBe(false);
  });
});

describe('services mistakes, each said at once with its path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mg-services-config-'));
  for (const s of ['a', 'b']) mkdirSync(join(dir, 'services', s), { recursive: true });
  const source = join(dir, 'deploy.yml');
  const env = {
    A_STAGING: 'postgres://h/a',
    A_PRODUCTION: 'postgres://h/a2',
    B_STAGING: 'postgres://h/b',
    B_PRODUCTION: 'postgres://h/b2',
  };
  const located = (yaml: string, e: Record<string, string> = env): string[] => {
    try {
      parseDeployConfig(yaml, source, e);
    } catch (err) {
      // Named as deploy.yml: the file sits outside the working directory, so it is shown by its full path.
      if (err instanceof ConfigError) return err.located.map((l) => l.replace(source, 'deploy.yml'));
      throw err;
    }
    throw new Error('expected a ConfigError');
  };
  const service = (name: string, folder: string, envs: string) =>
    `  - name: ${name}\n    migrations: ./services/${folder}\n    environments:\n      ${envs}\n`;
  const both = (s: string) =>
    `staging: { database: "\${${s}_STAGING}" }\n      production: { database: "\${${s}_PRODUCTION}" }`;
  const ENVIRONMENTS = 'environments:\n  - name: staging\n  - name: production\n';

  it('a valid two-service deploy.yml loads', () => {
    const d = parseDeployConfig(
      `services:\n${service('a', 'a', both('A'))}${service('b', 'b', both('B'))}${ENVIRONMENTS}`,
      source,
      env,
    );
    expect(d.services?.map((s) => [s.name, s.targets.production?.databaseVar])).toEqual([
      ['a', 'A_PRODUCTION'],
      ['b', 'B_PRODUCTION'],
    ]);
  });

  it('the shape: an environment database beside services:, a metric of an unknown service', () => {
    expect(
      located(`monitoring:
  metrics:
    - { metric: deadlocks, critical: "> 0", service: billing }
services:
${service('a', 'a', both('A'))}environments:
  - name: staging
    database: \${STAGING_DATABASE_URL}
  - name: production
    database: \${PRODUCTION_DATABASE_URL}
`),
    ).toEqual([
      'deploy.yml:12:5: environments[0].database: with services:, each service gives its database for staging (services[].environments.staging.database); remove this line',
      'deploy.yml:14:5: environments[1].database: with services:, each service gives its database for production (services[].environments.production.database); remove this line',
      'deploy.yml:3:45: monitoring.metrics[0].service: there is no service "billing" in services: (a)',
    ]);
  });

  it('no database and no services; service: in a deploy.yml without services', () => {
    expect(
      located(`monitoring:
  metrics:
    - { metric: deadlocks, critical: "> 0", service: a }
migrations: ./services/a
environments:
  - name: staging
`),
    ).toEqual([
      'deploy.yml:6:5: environments[0].database: give the database as ${ENV_VAR} (or list services: with a database each)',
      'deploy.yml:3:45: monitoring.metrics[0].service: service: is for a deploy.yml with services:; remove it',
    ]);
  });

  it('the rest: a missing folder, environments missing or unknown, a duplicate, unset variables, top-level migrations:', () => {
    const first = 'staging: { database: "${A_STAGING}" }\n      qa: { database: "${A_QA}" }';
    const second =
      'staging: { database: "${UNSET_DB}" }\n      production: { database: "${B_PRODUCTION}", urls: { app: "${UNSET_APP_URL}" } }';
    expect(
      located(
        `migrations: ./services/a\nservices:\n${service('a', 'missing', first)}${service('a', 'b', second)}${ENVIRONMENTS}`,
      ),
    ).toEqual([
      'deploy.yml:4:5: services[0].migrations: folder ./services/missing does not exist',
      'deploy.yml:7:7: services[0].environments.qa: there is no environment "qa" in environments: (staging, production)',
      'deploy.yml:5:5: services[0].environments: a has no database for production; add production: { database: ${A_PRODUCTION_DATABASE_URL} }',
      'deploy.yml:8:5: services[1].name: "a" is listed twice',
      'deploy.yml:11:18: services[1].environments.staging.database: environment variable UNSET_DB is not set',
      'deploy.yml:12:58: services[1].environments.production.urls.app: environment variable UNSET_APP_URL is not set',
      'deploy.yml:1:1: migrations: with services:, each service names its own folder (services[].migrations); remove this line',
    ]);
  });

  it('a database variable that is not a postgres URL, and a URL that is not http(s), keep their values unshown', () => {
    const envs =
      'staging: { database: "${A_STAGING}", urls: { app: "${A_APP}" } }\n      production: { database: "${A_PRODUCTION}" }';
    const problems = located(`services:\n${service('a', 'a', envs)}${ENVIRONMENTS}`, {
      ...env,
      A_STAGING: 'mysql://u:secret@h/a',
      A_APP: 'ftp://u:secret@h',
    });
    expect(problems).toEqual([
      'deploy.yml:5:18: services[0].environments.staging.database: A_STAGING must be a postgres:// or postgresql:// URL (its value is not shown)',
      'deploy.yml:5:52: services[0].environments.staging.urls.app: A_APP must be an http:// or https:// URL (its value is not shown)',
    ]);
    expect(problems.join('\n')).not.toContain('secret');
  });

  it('a metric reading a URL that one service lacks on a monitored environment names that service', () => {
    const yaml = `monitoring:
  plans: { short: [{ every: 1m, for: 5m }] }
  metrics:
    - { name: app_up, http: { url: app }, down: 2 }
services:
${service('a', 'a', 'staging: { database: "${A_STAGING}", urls: { app: "${A_APP}" } }')}${service('b', 'b', 'staging: { database: "${B_STAGING}" }')}environments:
  - name: staging
    monitor: short
`;
    const [problem, ...more] = located(yaml, { ...env, A_APP: 'https://a.internal' });
    expect(more).toEqual([]);
    // Said at the service's entry for the environment, naming the metric, the URL, and the variable to add there.
    expect(problem).toMatch(
      /^deploy\.yml:\d+:\d+: services\[1\]\.environments\.staging: monitoring\.metrics\[0\] \(app_up\) reads the URL named app, which b does not define on staging; add urls: \{ app: "\$\{B_STAGING_APP_URL\}" \} here/,
    );
  });
});
