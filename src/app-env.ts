/** The bot's own settings from the environment, and the values that must never be shown. */

import { z } from 'zod';
import type { DeployConfig } from './config.js';
import { afterSecrets } from './config-after.js';
import { ConfigError, zodProblems } from './config-error.js';
import { databaseUrls } from './targets.js';

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
  for (const url of [env.DATABASE_URL, ...(deploy ? databaseUrls(deploy) : [])]) {
    if (!url) continue;
    out.push(url);
    try {
      const p = new URL(url).password;
      if (p) out.push(decodeURIComponent(p), p);
    } catch {
      /* not a URL: the whole value is already listed */
    }
  }
  // The application's and Prometheus's URLs (deploy.yml urls:): the whole URL, its scheme://host:port, its password.
  const urlSets = [
    ...(deploy?.environments ?? []).map((e) => e.urls),
    ...(deploy?.services ?? []).flatMap((s) => Object.values(s.targets).map((t) => t.urls)),
  ];
  for (const urls of urlSets)
    for (const { url } of Object.values(urls ?? {})) {
      out.push(url);
      try {
        const u = new URL(url);
        out.push(u.origin, u.host);
        if (u.password) out.push(decodeURIComponent(u.password), u.password);
      } catch {
        /* config.ts admits only URLs here */
      }
    }
  // after: actions' webhook URLs (and hosts), signing secrets and GitHub tokens.
  for (const e of deploy?.environments ?? []) out.push(...afterSecrets(e.after));
  return [...new Set(out.filter((s): s is string => !!s && s.length >= 4))];
}
