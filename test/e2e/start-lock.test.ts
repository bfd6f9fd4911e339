/**
 * `npm start` after a bot was killed with SIGKILL: its embedded PostgreSQL, left running, is stopped and started
 * again; a data directory held by something else is refused with a sentence; a failed start says what PostgreSQL said.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { command, messages, processes, ROOT, start, stop, tree, until } from '../support/started.js';

/** Running, not gone nor a zombie (an orphan's zombie is reaped by init, here maybe late). */
const running = (pid: number) => {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Start the bot as `start` does and wait for it to give up: its exit code and everything it printed. */
async function failedStart(env: Record<string, string>): Promise<{ code: unknown; output: string }> {
  const output: string[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(await freePort()), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  const code = await new Promise((r) => child.once('exit', r));
  return { code, output: output.join('') };
}

describe('npm start after a kill', () => {
  const children: ChildProcess[] = [];
  const dataDirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) {
      try {
        process.kill(-c.pid!, 'SIGKILL'); // its whole process group
      } catch {
        /* gone already */
      }
    }
    for (const dir of dataDirs.splice(0))
      for (const p of processes().filter((x) => x.cmd.includes(dir))) process.kill(p.pid, 'SIGKILL');
  });

  it('killed with SIGKILL (the bot only, its embedded PostgreSQL left running), starts again: the orphan is stopped and the channel is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-start-orphan-'));
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-start-orphan-data-'));
    dataDirs.push(dataDir);
    writeFileSync(join(dir, '001_kept.sql'), 'create table kept (id int);\n');
    writeFileSync(
      join(dir, 'deploy.yml'),
      `migrations: .\nenvironments:\n  - name: staging\n    database: \${STAGING_DATABASE_URL}\n`,
    );
    const env = { DATA_DIR: dataDir, DEPLOY_CONFIG: join(dir, 'deploy.yml') };
    const first = await start(env);
    children.push(first.child);
    expect((await command(first.url, '001_kept')).status).toBe(200);
    await until('the run to finish and its report', async () =>
      (await messages(first.url)).find((m) => m.text.includes('The full report of run #1')),
    );
    const before = (await messages(first.url)).filter((m) => !m.visibleTo);
    const pg = join(dataDir, 'pg');
    const orphan = tree(first.child.pid!).filter((p) => p.cmd.includes(pg) && p.ppid === first.child.pid);
    expect(orphan).toHaveLength(1);
    first.child.kill('SIGKILL'); // the node process only: PostgreSQL, its child, keeps running
    await new Promise((r) => first.child.once('exit', r));
    expect(running(orphan[0]!.pid)).toBe(true);

    const second = await start(env);
    children.push(second.child);
    const log = second.output.join('');
    expect(log).toContain(
      `embedded PostgreSQL (PID ${orphan[0]!.pid}) was still running on ${pg}, left by a bot that was killed: stopped it (fast shutdown) and starting it again`,
    );
    expect(running(orphan[0]!.pid)).toBe(false);
    const after = (await messages(second.url)).filter((m) => !m.visibleTo);
    expect(after.map((m) => [m.ts, m.text])).toEqual(before.map((m) => [m.ts, m.text]));
    await stop(second.child);
    expect(processes().filter((p) => p.cmd.includes(pg))).toEqual([]);
  });

  it('refuses to take embedded PostgreSQL from a running bot or from a process its lock file names, and a failed start says what PostgreSQL said', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-start-lock-'));
    dataDirs.push(dataDir);
    const pg = join(dataDir, 'pg');
    const first = await start({ DATA_DIR: dataDir });
    children.push(first.child);
    const other = await failedStart({ DATA_DIR: dataDir });
    expect(other.code).toBe(2);
    expect(other.output).toContain(
      `is in use by another running process (PID ${first.child.pid}: ${process.execPath} --import tsx src/main.ts), likely another migration-gate: stop it first, or give this one its own DATA_DIR.`,
    );
    expect((await fetch(`${first.url}/healthz`)).ok).toBe(true);
    await stop(first.child);

    // a lock file naming a live process that is not this data directory's PostgreSQL (this test's own)
    writeFileSync(join(pg, 'postmaster.pid'), `${process.pid}\n${pg}\n0\n5432\n`);
    const stranger = await failedStart({ DATA_DIR: dataDir });
    expect(stranger.code).toBe(2);
    expect(stranger.output).toContain(
      `PostgreSQL's lock file ${pg}/postmaster.pid names PID ${process.pid}, which is running but is not the PostgreSQL of ${pg}`,
    );
    expect(stranger.output).toContain(
      `If no PostgreSQL is using ${pg}, delete ${pg}/postmaster.pid and start again.`,
    );

    rmSync(join(pg, 'postmaster.pid'));
    renameSync(join(pg, 'postgresql.conf'), join(pg, 'postgresql.conf.moved'));
    const broken = await failedStart({ DATA_DIR: dataDir });
    expect(broken.code).toBe(2);
    expect(broken.output).toContain(
      `did not start: postgres: could not access the server configuration file \\"${pg}/postgresql.conf\\": No such file or directory`,
    );
  });
});
