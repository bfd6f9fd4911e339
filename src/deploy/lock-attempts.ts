/**
 * How the bot asks for a lock without stalling the application's traffic. Pure: time and randomness are passed in.
 *
 * A DDL statement waiting for its lock sits in the lock queue, and every query on that table queues behind it
 * until it gets the lock or gives up. So each attempt waits briefly (`firstLockTimeout`, 100 ms by default),
 * later attempts a little longer (doubling up to `lockTimeout`) for tables so busy that no short gap ever
 * opens, and between attempts the bot waits with jittered, doubling backoff (`retryBackoff`). When it knows
 * who blocked it, it does not queue again while that transaction is still open (an attempt could only time out
 * and stall the readers once more); it tries again as soon as that transaction ends.
 */
import { z } from 'zod';
import { durationText } from './duration-text.js';

export interface LockSchedule {
  readonly firstLockTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly lockRetries: number;
  readonly retryBackoffMs: number;
}

/** How long attempt `n` (0-based) may wait for a lock. */
export function attemptTimeout(s: LockSchedule, n: number): number {
  return Math.min(s.lockTimeoutMs, Math.max(1, Math.round(s.firstLockTimeoutMs * 2 ** n)));
}

/** How long to wait before retry `n` (1-based): retryBackoff doubled each time, between half and all of it. */
export function backoff(s: LockSchedule, n: number, random: number): number {
  const full = s.retryBackoffMs * 2 ** (n - 1);
  return Math.round(full / 2 + (full / 2) * random);
}

/** A session that held a lock the bot was waiting for (from pg_blocking_pids and pg_stat_activity). */
export interface Blocker {
  readonly pid: number;
  readonly application: string;
  /** pg_stat_activity.state: "active", "idle in transaction", … */
  readonly state: string;
  /** How long its transaction had been open when it was seen, in ms. */
  readonly transactionMs: number;
  /** The first line of its current or last query, shortened. */
  readonly query: string;
}

export const blockerSchema = z.object({
  pid: z.number(),
  application: z.string(),
  state: z.string(),
  transactionMs: z.number(),
  query: z.string(),
});

/** One attempt that did not get its lock, and who held it (when the bot could see). */
export interface LockWait {
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly timeoutMs: number;
  /** 55P03 lock timeout or 40P01 deadlock. */
  readonly code: string;
  readonly blockers: Blocker[];
  /** Time the bot then waited before the next attempt (skipping attempts while the blocker stayed open). */
  readonly waitedMs?: number;
}

export const lockWaitSchema = z.object({
  attempt: z.number(),
  timeoutMs: z.number(),
  code: z.string(),
  blockers: z.array(blockerSchema),
  waitedMs: z.number().optional(),
});

/** "100 ms", "100–400 ms", "400 ms–1.6 s": the timeouts the attempts gave up after. */
function range(lo: number, hi: number): string {
  if (lo === hi) return durationText(lo);
  return hi < 1000 ? `${lo}–${hi} ms` : `${durationText(lo)}–${durationText(hi)}`;
}

/** "pid 4242, reporting-job, idle in transaction for 12 min: select * from hot" */
export function describeBlocker(b: Blocker): string {
  const who = [
    `pid ${b.pid}`,
    b.application || 'no application_name',
    `${b.state} for ${durationText(b.transactionMs)}`,
  ];
  return `${who.join(', ')}${b.query ? `: ${b.query}` : ''}`;
}

/** The sentence for a file's lock waits: "waited for pid 4242, … (3 attempts timed out after 100–400 ms)". */
export function describeLockWaits(waits: readonly LockWait[]): string | undefined {
  if (!waits.length) return undefined;
  const seen = new Map<number, Blocker>();
  for (const w of waits) for (const b of w.blockers) seen.set(b.pid, b);
  const timeouts = waits.map((w) => w.timeoutMs);
  const [lo, hi] = [Math.min(...timeouts), Math.max(...timeouts)];
  const waited = waits.reduce((t, w) => t + (w.waitedMs ?? 0), 0);
  const attempts = `${waits.length} attempt${waits.length === 1 ? '' : 's'} gave up after ${range(lo, hi)}${waited ? `, then ${durationText(waited)} waiting without queueing` : ''}`;
  if (!seen.size) return `${attempts}; the session holding the lock was not seen`;
  // The blocker's age is as first seen: say so, since the wait after it can be much longer.
  return `waiting for ${[...seen.values()].map(describeBlocker).join('; ')} when first seen (${attempts})`;
}
