import pg from 'pg';
import type { Environment } from '../config.js';

export const LEDGER_SCHEMA = 'migration_gate';

/** Hold one connection to a target for the length of `fn`. */
export async function withTargetClient<T>(
  env: Pick<Environment, 'databaseUrl'>,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: env.databaseUrl,
    application_name: 'migration-gate',
    connectionTimeoutMillis: 10_000,
  });
  // A dropped connection must surface as a failed query, not an unhandled 'error' event.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function serverVersionNum(client: pg.ClientBase): Promise<number> {
  const r = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
  return Number(r.rows[0]!.v);
}
