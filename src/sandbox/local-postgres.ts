/**
 * The embedded PostgreSQL of `npm start` as its user reaches it: the same port on every start (remembered in
 * DATA_DIR/pg-port, so a psql URL copied once keeps working), another free one when that port is taken (said in
 * a sentence), and the psql-ready URL the sandbox prints on this machine's terminal (never to Slack or the page).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { freePort } from '../net.js';

const portText = z
  .string()
  .trim()
  .regex(/^\d+$/)
  .transform(Number)
  .pipe(z.number().int().min(1024).max(65_535));

const portFile = (dataDir: string) => join(dataDir, 'pg-port');

/** Whether nothing listens on 127.0.0.1:`port`. */
function isFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** The port PostgreSQL's lock file in `pgDir` names (its 4th line), if any. */
function lockedPort(pgDir: string): number | undefined {
  try {
    const line = readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[3];
    const p = portText.safeParse(line ?? '');
    return p.success ? p.data : undefined;
  } catch {
    return undefined;
  }
}

export interface ChosenPort {
  readonly port: number;
  /** Why the port is not the last start's, when it is not (for the log). */
  readonly note?: string;
}

/**
 * The port for the embedded PostgreSQL of `dataDir` (its server in `pgDir`): the last start's when it is free, or
 * when the one holding it is this data directory's own PostgreSQL (left by a killed bot: it is stopped before the
 * start, or another bot holds it and the start is refused); otherwise a free one.
 */
export async function choosePort(dataDir: string, pgDir: string): Promise<ChosenPort> {
  const file = portFile(dataDir);
  const kept = existsSync(file) ? portText.safeParse(readFileSync(file, 'utf8')) : undefined;
  if (!kept?.success) return { port: await freePort() };
  const last = kept.data;
  if ((await isFree(last)) || lockedPort(pgDir) === last) return { port: last };
  const port = await freePort();
  return {
    port,
    note: `embedded PostgreSQL's port ${last} (from the last start) is in use by another program: started on ${port} instead; the next start keeps ${port}`,
  };
}

/** Remember the port a start used, for the next one. */
export function keepPort(dataDir: string, port: number): void {
  writeFileSync(portFile(dataDir), `${port}\n`);
}

/**
 * The start-up line with a psql-ready URL of the embedded server (the password in it is this machine's own
 * DATA_DIR/pg-password): the bot's state database when it is there, else the first demo database. Only the
 * sandbox prints it, to its own terminal; the logger would scrub it, as it should.
 */
export function psqlLine(
  server: { urlFor(database: string): string },
  state: boolean,
  demos: readonly string[],
): string {
  const [first, ...others] = demos;
  const what = state ? "the bot's state" : 'the demo databases';
  const db = state || !first ? 'migration_gate' : first;
  const more = state ? demos : others;
  const also = more.length ? ` (${more.join(', ')} on the same server)` : '';
  return `Embedded PostgreSQL, ${what}: psql '${server.urlFor(db)}'${also}\n`;
}
