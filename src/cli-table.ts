/** What the CLI's commands share: tables for terminals, and the project (deploy.yml, the folder, the environments). */

import { configProblem, servicesNotInCli } from './cli-errors.js';
import { type DeployConfig, type Environment, loadDeployConfig } from './config.js';
import { ConfigError } from './config-error.js';
import { discoverMigrations, type MigrationFile } from './target/files.js';

/** Rows as aligned columns (the first row is the header); a cell longer than 60 characters is cut with "…". */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.min(60, Math.max(...rows.map((r) => [...(r[i] ?? '')].length))));
  const pad = (s: string, w: number) => {
    const chars = [...s];
    return chars.length > w ? `${chars.slice(0, w - 1).join('')}…` : s + ' '.repeat(w - chars.length);
  };
  return rows
    .map((r) =>
      r
        .map((c, i) => pad(c, widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * deploy.yml (DEPLOY_CONFIG, default ./deploy.yml), the environments asked for (all when none are named) and the
 * migrations folder; or the sentence that says what is wrong (a usage or configuration error). Only the named
 * environments' database variables must be set; with none named, an environment without one has an empty URL.
 */
export function openProject(
  named: readonly string[],
):
  | { ok: true; deploy: DeployConfig; envs: Environment[]; migrations: MigrationFile[] }
  | { ok: false; problem: string } {
  let deploy: DeployConfig;
  try {
    deploy = loadDeployConfig(process.env.DEPLOY_CONFIG ?? './deploy.yml', process.env, {
      databasesFor: named,
    });
  } catch (e) {
    if (e instanceof ConfigError) return { ok: false, problem: configProblem(e) };
    throw e;
  }
  if (deploy.services) return { ok: false, problem: servicesNotInCli('status and plan') };
  const names = deploy.environments.map((e) => e.name);
  const envs: Environment[] = [];
  for (const name of named) {
    const env = deploy.environments.find((e) => e.name === name);
    if (!env)
      return { ok: false, problem: `There is no environment "${name}" in deploy.yml (${names.join(', ')}).` };
    if (!envs.includes(env)) envs.push(env);
  }
  const { migrations, problems } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  if (problems.length)
    return {
      ok: false,
      problem: `The migrations folder has files with bad names:\n  ${problems.join('\n  ')}`,
    };
  return { ok: true, deploy, envs: named.length ? envs : [...deploy.environments], migrations };
}
