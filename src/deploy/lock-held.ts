/**
 * An apply that could not get its lock (55P03 after every attempt): the run holds so that someone can press Retry
 * apply once the blocker is gone (docs/locks.md). What the card and the thread say about it, and how a retry's
 * result joins the earlier attempt's. Pure.
 */

import { durationText } from './duration-text.js';
import type { LockWait } from './lock-attempts.js';
import type { ApplyResult } from './results.js';
import type { Step } from './types.js';

/** The held apply step's summary ("⛔ apply lock timeout" on the card); the run card's Retry apply looks for it. */
export const LOCK_HELD = 'lock timeout';

/** The summary of a held apply: whether files of this run went in there before the lock timed out. */
export const lockHeldSummary = (partial: boolean) =>
  partial ? `${LOCK_HELD}, some files applied` : LOCK_HELD;

/** A held apply whose failure was a lock timeout: Retry apply is offered. */
export const lockHeld = (s: Step) =>
  s.name === 'apply' && s.status === 'blocked' && !!s.summary?.startsWith(LOCK_HELD);

/** A held lock timeout before any file of this run went in there: Roll back would undo nothing. */
export const lockHeldNothingIn = (s: Step) => lockHeld(s) && s.summary === LOCK_HELD;

/** The failed file of an apply result, as the retry decision needs it. */
interface FailedFile {
  readonly file?: string;
  readonly id: string;
  readonly lockWaits?: LockWait[];
  readonly statementsKept: number;
  readonly error: { readonly code?: string };
}

/**
 * Whether an apply failed only because it could not get its lock: 55P03 after the retries, and nothing of the file
 * stayed (a file outside a transaction that kept statements is not safely run again from its start).
 */
export const isLockTimeout = (f: FailedFile | undefined): f is FailedFile =>
  !!f && f.error.code === '55P03' && f.statementsKept === 0;

/** "after 2 attempts (held by a session idle in transaction for 15.2 s)": the last blocker seen, aged to the end. */
function attemptsAndHolder(waits: readonly LockWait[]): string {
  const attempts = `${waits.length} attempt${waits.length === 1 ? '' : 's'}`;
  const last = [...waits].reverse().find((w) => w.blockers.length);
  const b = last?.blockers[0];
  if (!last || !b) return `after ${attempts} (the session holding it was not seen)`;
  const age = durationText(b.transactionMs + (last.waitedMs ?? 0));
  return `after ${attempts} (held by a session ${b.state || 'of unknown state'} for ${age})`;
}

/**
 * "could not get the lock on hot after 1 attempt (held by a session idle in transaction for 15.2 s); nothing of
 * 002_add.sql was applied": what happened, without the advice (services wrap it in what each service holds).
 */
export function lockTimeoutCore(f: FailedFile, table: string | undefined): string {
  const on = table ? `the lock on ${table}` : 'its lock';
  return `could not get ${on} ${attemptsAndHolder(f.lockWaits ?? [])}; nothing of ${f.file ?? f.id} was applied`;
}

/** What the buttons do now, after the sentence. */
export const lockTimeoutAdvice = (partial: boolean) =>
  partial
    ? 'Retry apply when the blocker is gone (the files already applied stay applied), Roll back, or Cancel.'
    : 'Retry apply when the blocker is gone, or Cancel.';

/**
 * A retry's result joined to the earlier attempt's stored one: every file this step applied, in order (what a
 * rollback undoes). The catalog before apply is the earlier attempt's when it had applied files (the retry's own is
 * taken after them); the rest (what changed, the failure) is the retry's.
 */
export function joinAttempts(before: ApplyResult | undefined, retry: ApplyResult): ApplyResult {
  if (!before?.files.length) return retry;
  const { catalogBefore: _, ...rest } = retry;
  const touched = [...new Set([...(before.touchedTables ?? []), ...(retry.touchedTables ?? [])])];
  return {
    ...rest,
    files: [...before.files, ...retry.files],
    ...(before.catalogBefore ? { catalogBefore: before.catalogBefore } : {}),
    ...(touched.length ? { touchedTables: touched } : {}),
  };
}

/** The files preflight listed that the earlier attempt of this step did not apply: what the retry expects pending. */
export const stillPending = (preflight: readonly string[] | undefined, before: ApplyResult | undefined) =>
  preflight?.filter((id) => !before?.files.some((f) => f.id === id));
