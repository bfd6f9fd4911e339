/**
 * `npm start` with no DATABASE_URL in sandbox mode: it prints a psql-ready URL of its embedded PostgreSQL, keeps the
 * same port across restarts, and when that port is taken starts on another one and says so.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { processes, start, stop, until } from '../support/started.js';

/** The URL the start-up line gives, and the line itself (it follows the line `start` waits for). */
async function printed(output: string[]): Promise<{ line: string; url: string; port: number }> {
  const line = await until('the psql line', async () =>
    output
      .join('')
      .split('\n')
      .find((l) => l.includes('psql ')),
  );
  const url = /psql '(postgres:\/\/[^']+)'/.exec(line)?.[1];
  if (!url) throw new Error(`no psql URL in: ${line}`);
  return { line, url, port: Number(new URL(url).port) };
}

async function databaseOf(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
  } finally {
    await c.end();
  }
}

describe('npm start without DATABASE_URL (sandbox)', () => {
  const children: ChildProcess[] = [];
  const dataDirs: string[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    for (const dir of dataDirs.splice(0))
      for (const p of processes().filter((x) => x.cmd.includes(dir))) process.kill(p.pid, 'SIGKILL');
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it('prints a psql URL of the embedded database, keeps its port across restarts, and moves when it is taken', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-sandbox-start-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-sandbox-start-data-'));
    dataDirs.push(dataDir);
    writeFileSync(join(dir, '001_x.sql'), 'create table x (id int);\n');
    writeFileSync(
      join(dir, 'deploy.yml'),
      `migrations: .\nenvironments:\n  - name: staging\n    database: \${STAGING_DATABASE_URL}\n`,
    );
    const env = { DATA_DIR: dataDir, DEPLOY_CONFIG: join(dir, 'deploy.yml') };

    const first = await start(env);
    children.push(first.child);
    const one = await printed(first.output);
    const password = readFileSync(join(dataDir, 'pg-password'), 'utf8').trim();
    expect(one.url).toBe(`postgres://postgres:${password}@127.0.0.1:${one.port}/migration_gate`);
    expect(one.line).toContain(`psql '${one.url}'`);
    expect(await databaseOf(one.url)).toBe('migration_gate');
    await stop(first.child);

    // Restarted: the same port, so the URL a user copied still works.
    const second = await start(env);
    children.push(second.child);
    expect((await printed(second.output)).url).toBe(one.url);
    expect(await databaseOf(one.url)).toBe('migration_gate');
    await stop(second.child);

    // The port is taken by something else: another one, said in the log, and kept for next time.
    const squatter = createServer();
    servers.push(squatter);
    await new Promise<void>((r) => squatter.listen(one.port, '127.0.0.1', r));
    const third = await start(env);
    children.push(third.child);
    const moved = await printed(third.output);
    expect(moved.port).not.toBe(one.port);
    expect(third.output.join('')).toContain(
      `embedded PostgreSQL's port ${one.port} (from the last start) is in use by another program: started on ${moved.port} instead; the next start keeps ${moved.port}`,
    );
    expect(await databaseOf(moved.url)).toBe('migration_gate');
    await stop(third.child);
  });
});
