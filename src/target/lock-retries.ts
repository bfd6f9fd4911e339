/**
 * Attempts at a file (or a statement outside a transaction) that take locks: each attempt waits for its lock
 * only briefly, the next one after a jittered backoff, and never while the transaction that blocked the last
 * attempt is still open (src/deploy/lock-attempts.ts says why).
 */
import type pg from 'pg';
import { attemptTimeout, backoff, type LockSchedule, type LockWait } from '../deploy/lock-attempts.js';
import { StatementError } from './batch.js';
import type { LockWatch, SeenBlocker } from './lock-watch.js';

const RETRYABLE = new Set(['55P03', '40P01']); // lock_not_available, deadlock_detected
/** How often the bot looks whether the blocking transaction has ended. */
const LOOK_EVERY_MS = 50;

export interface RetryContext {
  readonly watch: LockWatch;
  /** The applying session's pid (pg_backend_pid()). */
  readonly pid: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
}

export interface Attempts {
  /** Attempts made after the first. */
  readonly retries: number;
  readonly waits: LockWait[];
  readonly error?: unknown;
}

const codeOf = (e: unknown) => ((e instanceof StatementError ? e.failure : e) as pg.DatabaseError).code;

/**
 * Wait up to `ms`, but stop early once the blockers' transactions have ended. Gives back whether they are
 * still open at the end (so the next attempt would only queue behind them again).
 */
async function waitFor(rc: RetryContext, blockers: readonly SeenBlocker[], ms: number): Promise<boolean> {
  const until = rc.now() + ms;
  if (!blockers.length) {
    await rc.sleep(ms);
    return false;
  }
  for (;;) {
    if (!(await rc.watch.stillOpen(blockers))) return false;
    const left = until - rc.now();
    if (left <= 0) return true;
    await rc.sleep(Math.min(LOOK_EVERY_MS, left));
  }
}

/** Run `attempt` (given its lock timeout) until it succeeds, fails otherwise, or the retries are spent. */
export async function withLockRetries(
  schedule: LockSchedule,
  rc: RetryContext,
  attempt: (lockTimeoutMs: number) => Promise<void>,
): Promise<Attempts> {
  const waits: LockWait[] = [];
  let made = 0;
  for (let slot = 0; ; ) {
    const timeoutMs = attemptTimeout(schedule, made);
    const stop = rc.watch.during(rc.pid);
    try {
      await attempt(timeoutMs);
      stop();
      return { retries: made, waits };
    } catch (e) {
      const blockers = stop();
      const code = codeOf(e);
      if (!code || !RETRYABLE.has(code)) return { retries: made, waits, error: e };
      const seen = blockers.map(({ xact: _, ...b }) => b);
      rc.watch.gaveUp(blockers);
      if (slot >= schedule.lockRetries) {
        waits.push({ attempt: made + 1, timeoutMs, code, blockers: seen });
        return { retries: made, waits, error: e };
      }
      const started = rc.now();
      let open = true;
      while (open && slot < schedule.lockRetries) {
        slot++;
        open = await waitFor(rc, blockers, backoff(schedule, slot, rc.random()));
      }
      waits.push({
        attempt: made + 1,
        timeoutMs,
        code,
        blockers: seen,
        waitedMs: Math.round(rc.now() - started),
      });
      if (open) return { retries: made, waits, error: e };
      made++;
    }
  }
}
