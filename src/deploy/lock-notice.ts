/**
 * The thread reply the bot posts when an apply's lock attempt first gives up (docs/locks.md): who blocks it and
 * what the bot does about it, then how the apply ended. Pure. The blocker is described as describeBlocker words
 * it (pid, application_name, state and age, first line of its query): never its user, host or database.
 */
import { durationText } from './duration-text.js';
import { type Blocker, describeBlocker } from './lock-attempts.js';

export interface LockWaitSeen {
  readonly env: string;
  readonly table?: string;
  readonly file: string;
  readonly blockers: readonly Blocker[];
  /** deploy.yml's lockRetries for the environment. */
  readonly retries: number;
}

/** How the apply ended, for the notice's second line. */
export type LockWaitEnd =
  | { readonly kind: 'applied'; readonly afterMs: number }
  | { readonly kind: 'lockTimeout'; readonly file: string }
  | { readonly kind: 'failed' };

/** "Lock wait on staging": the title, so that with services it names the service like the other replies. */
export const lockWaitTitle = (env: string) => `Lock wait on ${env}`;

/** "Waiting for a lock on hot (002_add.sql): blocked by pid 4242, reporting-job, idle in transaction for 1.2 s: …" */
export function lockWaitLine(w: LockWaitSeen): string {
  const on = w.table ? `a lock on ${w.table}` : 'a lock';
  const by = w.blockers.length
    ? `blocked by ${w.blockers.map(describeBlocker).join('; ')}`
    : 'the session holding it was not seen';
  const times = `${w.retries} time${w.retries === 1 ? '' : 's'}`;
  return `Waiting for ${on} (${w.file}): ${by}; the bot retries up to ${times} (it does not queue again while that transaction is open, so readers of the table are not held up).`;
}

/** The second line once the apply ended. */
export function lockWaitEnded(end: LockWaitEnd): string {
  switch (end.kind) {
    case 'applied':
      return `✅ Got the lock; the apply went on and succeeded (${durationText(end.afterMs)} after this message).`;
    case 'lockTimeout':
      return `❌ Gave up: nothing of ${end.file} was applied. The run holds: Retry apply on the card when the blocker is gone, or Cancel.`;
    case 'failed':
      return '❌ The apply failed: see its reply below.';
  }
}
