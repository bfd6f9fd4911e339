import type pg from 'pg';
import type { Environment } from '../config.js';
import type { Counters, Footprints, TrackOptions } from './footprint.js';
import { openTracked } from './sessions.js';

export const LEDGER_SCHEMA = 'migration_gate';

/**
 * Hold one connection to a target for the length of `fn`. Everything it does is counted as the bot's own
 * footprint on that target (see footprint.ts), so monitoring never mistakes it for the application.
 */
export async function withTargetClient<T>(
  env: Pick<Environment, 'databaseUrl'>,
  footprints: Footprints,
  /** `session`: what this connection has done so far (live counters). */
  fn: (client: pg.Client, session: Readonly<Counters>) => Promise<T>,
  opts: TrackOptions = { mark: true },
): Promise<T> {
  const t = await openTracked(env.databaseUrl, footprints, { connectionTimeoutMillis: 10_000, ...opts });
  try {
    return await fn(t.client, t.counters);
  } finally {
    await t.end();
  }
}

export async function serverVersionNum(client: pg.ClientBase): Promise<number> {
  const r = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
  return Number(r.rows[0]!.v);
}
