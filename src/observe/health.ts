/**
 * GET /healthz: whether the bot's store and each target database answer, by environment name only. A target's
 * problem is the kind of failure (refused, timeout, auth, …: target/connect-errors.ts), never its host, user or
 * database name. Targets are reached through a tracked session (target/sessions.ts), so a probe is part of the
 * bot's footprint and never shows in the figures monitoring reports; answers are kept for a few seconds so a
 * probe every second costs one connection per target per HEALTH_CACHE_MS.
 */
import type { DeployConfig } from '../config.js';
import type { Store } from '../store/db.js';
import { measureFor, storeFootprints } from '../store/footprints.js';
import { connectFailureOf } from '../target/connect-errors.js';
import { MARKER } from '../target/footprint.js';
import { openTracked } from '../target/sessions.js';

export interface Reachable {
  readonly ok: boolean;
  /** Why not: a kind of failure (`refused`, `timeout`, `auth`, `no-database`, …), `query`, or `not set`. */
  readonly problem?: string;
}

export interface Health {
  readonly ok: boolean;
  readonly store: Reachable;
  readonly environments: Readonly<Record<string, Reachable>>;
}

/** How long an answer is reused; and how long a store or target may take to answer a probe. */
export const HEALTH_CACHE_MS = 5_000;
export const PROBE_TIMEOUT_MS = 3_000;

function problemOf(e: unknown): string {
  if (e instanceof ProbeTimeout) return 'timeout';
  const kind = connectFailureOf(e);
  if (kind) return kind;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? 'query' : 'unexpected';
}

class ProbeTimeout extends Error {}

async function probe(work: () => Promise<unknown>): Promise<Reachable> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeout()), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { ok: true };
  } catch (e) {
    return { ok: false, problem: problemOf(e) };
  } finally {
    clearTimeout(timer);
  }
}

/** A health check of `store` and `deploy`'s targets; concurrent calls share one probe, reused HEALTH_CACHE_MS. */
export function healthCheck(store: Store, deploy: DeployConfig, now: () => number = Date.now) {
  const footprints = storeFootprints(store.db, measureFor(deploy.monitoring.metrics));
  let last: { at: number; health: Promise<Health> } | undefined;

  async function target(url: string): Promise<Reachable> {
    if (!url) return { ok: false, problem: 'not set' };
    return probe(async () => {
      const t = await openTracked(url, footprints, {
        connectionTimeoutMillis: PROBE_TIMEOUT_MS,
        statement_timeout: PROBE_TIMEOUT_MS,
      });
      try {
        await t.client.query(`${MARKER}select 1`);
      } finally {
        // The footprint is recorded in the store: a store that is down must not make the target look down.
        await t.end().catch(() => {});
      }
    });
  }

  // Each environment's database, or with services each service's there ("staging/community").
  const places = deploy.services
    ? deploy.environments.flatMap((e) =>
        deploy.services!.map((s) => ({
          name: `${e.name}/${s.name}`,
          url: s.targets[e.name]?.databaseUrl ?? '',
        })),
      )
    : deploy.environments.map((e) => ({ name: e.name, url: e.databaseUrl }));
  async function check(): Promise<Health> {
    const [storeOk, ...targets] = await Promise.all([
      probe(() => store.pool.query('select 1')),
      ...places.map((p) => target(p.url)),
    ]);
    const environments = Object.fromEntries(places.map((p, i) => [p.name, targets[i]!]));
    return {
      ok: storeOk!.ok && targets.every((t) => t.ok),
      store: storeOk!,
      environments,
    };
  }

  return (): Promise<Health> => {
    if (!last || now() - last.at >= HEALTH_CACHE_MS) last = { at: now(), health: check() };
    return last.health;
  };
}
