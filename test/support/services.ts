/** A deploy.yml with `services:` for the e2e harness: each service its folder, and a database per environment. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTestDatabase } from './pg.js';

export interface ServicesOption {
  /** Each service's migrations (file name → text), in deploy order. */
  readonly migrations: Record<string, Record<string, string>>;
  /** More keys for a service's entry on an environment, as YAML flow (e.g. `urls: { app: ${X} }`). */
  readonly extra?: (service: string, env: string) => string;
}

const upper = (s: string) => s.toUpperCase().replace(/-/g, '_');
/** The variable a service's database on an environment is read from. */
export const serviceDbVar = (service: string, env: string) => `${upper(service)}_${upper(env)}_DATABASE_URL`;

/**
 * Write each service's folder under `dir/services/`, make its databases (targets keyed `env/service`) and return
 * the `services:` section and the variables it names.
 */
export async function writeServices(
  dir: string,
  envNames: readonly string[],
  o: ServicesOption,
  targets: Record<string, string>,
  write: boolean,
): Promise<{ yaml: string; env: Record<string, string> }> {
  const env: Record<string, string> = {};
  const lines = ['services:'];
  for (const [service, files] of Object.entries(o.migrations)) {
    const folder = join(dir, 'services', service);
    if (write) {
      mkdirSync(folder, { recursive: true });
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(folder, name)), { recursive: true });
        writeFileSync(join(folder, name), text);
      }
    }
    lines.push(`  - name: ${service}`, `    migrations: ./services/${service}`, '    environments:');
    for (const e of envNames) {
      const key = `${e}/${service}`;
      targets[key] ??= await createTestDatabase(`mg_${e}_${service}`);
      env[serviceDbVar(service, e)] = targets[key]!;
      const extra = o.extra?.(service, e);
      lines.push(`      ${e}: { database: "\${${serviceDbVar(service, e)}}"${extra ? `, ${extra}` : ''} }`);
    }
  }
  return { yaml: lines.join('\n'), env };
}
