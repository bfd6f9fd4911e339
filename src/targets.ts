/**
 * Where a step works: one database per environment, or, with deploy.yml `services:`, each service's own database
 * and migrations folder there (docs/services.md). The environment's shared settings (timeouts, settings, checks,
 * monitoring plan) come with it; the service's URLs are added to the environment's.
 */
import type { DeployConfig, Environment, MonitorMetric } from './config.js';
import type { LayoutSetting } from './deploy/layouts/model.js';

/** The environment `envName` as service `service` sees it (its database, its URLs); the environment alone without. */
export function targetOf(
  deploy: Pick<DeployConfig, 'environments' | 'services'>,
  envName: string,
  service?: string,
): Environment | undefined {
  const e = deploy.environments.find((x) => x.name === envName);
  if (!e || service === undefined) return e;
  const t = deploy.services?.find((s) => s.name === service)?.targets[envName];
  if (!t) return undefined;
  return {
    ...e,
    service,
    databaseUrl: t.databaseUrl,
    databaseVar: t.databaseVar,
    ...(t.urls || e.urls ? { urls: { ...e.urls, ...t.urls } } : {}),
  };
}

/** The migrations folder of `service` (the one folder of deploy.yml without services). */
export function folderOf(
  deploy: Pick<DeployConfig, 'migrationsDir' | 'migrationsLayout' | 'services'>,
  service?: string,
): { dir: string; layout: LayoutSetting } {
  const s = service === undefined ? undefined : deploy.services?.find((x) => x.name === service);
  return s
    ? { dir: s.migrationsDir, layout: s.migrationsLayout }
    : { dir: deploy.migrationsDir, layout: deploy.migrationsLayout };
}

/** deploy.yml as one service sees it: its folder in place of the top-level one (for code that reads a folder). */
export function deployFor(deploy: DeployConfig, service?: string): DeployConfig {
  if (service === undefined) return deploy;
  const { dir, layout } = folderOf(deploy, service);
  return { ...deploy, migrationsDir: dir, migrationsLayout: layout };
}

/** The metrics a monitor step of `service` reads: those for every service and those naming it. */
export const metricsFor = (deploy: Pick<DeployConfig, 'monitoring'>, service?: string): MonitorMetric[] =>
  deploy.monitoring.metrics.filter((m) => !m.service || m.service === service);

/** Every database deploy.yml names, for the secrets never shown and the health probe. */
export const databaseUrls = (deploy: Pick<DeployConfig, 'environments' | 'services'>): string[] =>
  [
    ...deploy.environments.map((e) => e.databaseUrl),
    ...(deploy.services ?? []).flatMap((s) => Object.values(s.targets).map((t) => t.databaseUrl)),
  ].filter(Boolean);
