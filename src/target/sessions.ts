/** Connections to a target that count the bot's footprint (footprint.ts) and record it when they end. */
import pg from 'pg';
import {
  APP_NAMES,
  type Counters,
  type Footprints,
  type TrackOptions,
  targetKey,
  track,
} from './footprint.js';

/** A tracked client to one target; `end()` closes it and records its footprint. */
export async function openTracked(
  databaseUrl: string,
  footprints: Footprints,
  config: Omit<pg.ClientConfig, 'connectionString'> & TrackOptions = {},
): Promise<{ client: pg.Client; counters: Counters; end(): Promise<void> }> {
  const { deep, mark, ...clientConfig } = config;
  const client = new pg.Client({
    application_name: APP_NAMES[0],
    ...clientConfig,
    connectionString: databaseUrl,
  });
  // A dropped connection must surface as a failed query, not an unhandled 'error' event.
  client.on('error', () => {});
  const counters: Counters = {};
  await client.connect();
  const finish = track(client, counters, { deep, mark });
  return {
    client,
    counters,
    async end() {
      // Closed first: a backend flushes its statistics as it exits, so once the close returns they are in
      // pg_stat_database, and the footprint added now matches them (a sampler in between retries or, rarely,
      // sees them a moment before the footprint).
      await client.end().catch(() => {});
      finish();
      await footprints.add(targetKey(databaseUrl), counters);
    },
  };
}

/** A tracked pool (for checks run in parallel); `end()` closes it and records the footprint of all its clients. */
export function trackedPool(
  databaseUrl: string,
  footprints: Footprints,
  config: Omit<pg.PoolConfig, 'connectionString'> & TrackOptions = {},
): { pool: pg.Pool; end(): Promise<void> } {
  const { deep, mark, ...poolConfig } = config;
  const counters: Counters = {};
  const pool = new pg.Pool({ application_name: APP_NAMES[1], ...poolConfig, connectionString: databaseUrl });
  pool.on('error', () => {});
  const finishers: (() => void)[] = [];
  pool.on('connect', (client) => finishers.push(track(client, counters, { deep, mark })));
  return {
    pool,
    async end() {
      await pool.end().catch(() => {});
      for (const f of finishers) f();
      await footprints.add(targetKey(databaseUrl), counters);
    },
  };
}
