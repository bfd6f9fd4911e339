/**
 * Which databases sandbox mode deploys to. The sandbox has no Slack sign-in (anyone at the page acts as
 * anyone), so it deploys only to demo databases it creates on embedded PostgreSQL, even when deploy.yml's
 * variables (STAGING_DATABASE_URL, …) are set, unless SANDBOX_USE_DATABASE_URLS says to use them.
 */
import { loadDeployConfig } from '../config.js';

export interface SandboxTarget {
  /** The environment's name in deploy.yml (with services, `<environment>_<service>`). */
  readonly name: string;
  /** The variable deploy.yml reads its URL from. */
  readonly variable: string;
}

export interface SandboxTargets {
  /** Environments that get the demo database `mg_demo_<name>` on embedded PostgreSQL. */
  readonly demo: readonly SandboxTarget[];
  /** Environments deployed to through the URL in the environment (only with SANDBOX_USE_DATABASE_URLS). */
  readonly given: readonly SandboxTarget[];
  /** Environments whose URL is set in the environment but not used. */
  readonly ignored: readonly SandboxTarget[];
}

export function sandboxTargets(
  deployConfig: string,
  env: Readonly<Record<string, string | undefined>>,
  useGiven: boolean,
): SandboxTargets {
  const deploy = loadDeployConfig(deployConfig, env, { databasesFor: [] });
  // With services, each service's database on each environment (mg_demo_staging_community).
  const places = deploy.services
    ? deploy.environments.flatMap((e) =>
        deploy.services!.map((s) => ({
          name: `${e.name}_${s.name}`.replace(/-/g, '_'),
          variable: s.targets[e.name]?.databaseVar ?? '',
        })),
      )
    : deploy.environments.map((e) => ({ name: e.name, variable: e.databaseVar }));
  const out = { demo: [] as SandboxTarget[], given: [] as SandboxTarget[], ignored: [] as SandboxTarget[] };
  for (const target of places) {
    if (!env[target.variable]) out.demo.push(target);
    else if (useGiven) out.given.push(target);
    else {
      out.demo.push(target);
      out.ignored.push(target);
    }
  }
  return out;
}

/** Point each demo environment's variable at its own database (created if missing). */
export async function useDemoDatabases(
  targets: SandboxTargets,
  env: Record<string, string | undefined>,
  create: (database: string) => Promise<string>,
): Promise<void> {
  for (const t of targets.demo) env[t.variable] = await create(`mg_demo_${t.name}`);
}

const list = (ts: readonly SandboxTarget[], f: (t: SandboxTarget) => string) => ts.map(f).join(', ');

/** What the log must say at start: names of environments and variables only, never a URL or any part of one. */
export function targetWarnings(t: SandboxTargets): { environments: string[]; message: string }[] {
  const out: { environments: string[]; message: string }[] = [];
  if (t.given.length)
    out.push({
      environments: t.given.map((x) => x.name),
      message: `SANDBOX_USE_DATABASE_URLS is on: the sandbox deploys to the databases your environment names for ${list(t.given, (x) => `${x.name} (${x.variable})`)}, not to demo databases. Anyone who can open the sandbox page on this machine can apply and roll back migrations there, acting as any user.`,
    });
  if (t.ignored.length)
    out.push({
      environments: t.ignored.map((x) => x.name),
      message: `Sandbox mode ignores ${list(t.ignored, (x) => `${x.variable} (${x.name})`)} and deploys to its own demo databases instead. Set SANDBOX_USE_DATABASE_URLS=1 to deploy to yours from the sandbox.`,
    });
  return out;
}
