import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = NodePgDatabase<typeof schema>;
/** The store's functions work on the pool or inside a transaction. */
export type Tx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];
export interface Store {
  readonly db: Db;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));
const MIGRATE_LOCK = [0x6d67, 0x5354] as const; // 'mg', 'ST'

/** Open the bot's store and bring its schema up to date under an advisory lock (safe with several replicas). */
export async function openStore(databaseUrl: string): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    application_name: 'migration-gate-state',
  });
  pool.on('error', () => {});
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1, $2)', [...MIGRATE_LOCK]);
    try {
      await migrate(drizzle(client), {
        migrationsFolder: MIGRATIONS,
        migrationsSchema: 'migration_gate_meta',
      });
    } finally {
      await client.query('select pg_advisory_unlock($1, $2)', [...MIGRATE_LOCK]);
    }
  } finally {
    client.release();
  }
  return { db: drizzle(pool, { schema }), pool, close: () => pool.end() };
}
