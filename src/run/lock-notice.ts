/**
 * One thread reply per apply whose lock attempt gave up (none when every first attempt got its lock): posted at
 * once, when the bot first sees the attempt blocked, and edited in place when the apply ends.
 */
import type { Environment } from '../config.js';
import { type LockWaitEnd, lockWaitEnded, lockWaitLine, lockWaitTitle } from '../deploy/lock-notice.js';
import type { Run } from '../deploy/types.js';
import { esc, type Message, section } from '../slack/mrkdwn.js';
import { findMessage } from '../store/messages.js';
import type { OnLockWait } from '../target/apply.js';
import type { Deps } from './deps.js';
import { forService } from './service-scope.js';

export interface LockNotice {
  readonly seen: OnLockWait;
  /** The apply ended: edit the notice (if one was posted) to say how. */
  ended(end: LockWaitEnd): Promise<void>;
}

export function lockNotice(deps: Deps, run: Run, e: Environment): LockNotice {
  let first: { line: string; at: number } | undefined;
  let posted: Promise<{ channel: string; ts: string } | undefined> | undefined;
  const message = (lines: string[]): Message =>
    forService(
      {
        text: `${lockWaitTitle(e.name)}: ${lines.join(' ')}`,
        blocks: [section(`🔒 *${esc(lockWaitTitle(e.name))}*\n${lines.map(esc).join('\n')}`)],
      },
      e.name,
      e.service,
    );
  return {
    seen(w) {
      if (first) return;
      first = {
        line: lockWaitLine({ ...w, env: e.name, retries: e.lockRetries }),
        at: performance.now(),
      };
      const line = first.line;
      posted = (async () => {
        const card = await findMessage(deps.db, run.id, 'card');
        if (!card) return undefined;
        const ts = await deps.chat.post(card.channel, message([line]), card.ts);
        return { channel: card.channel, ts };
      })().catch((err: unknown) => {
        deps.log.warn({ err }, 'the lock wait notice could not be posted');
        return undefined;
      });
    },
    async ended(end) {
      const where = await posted;
      if (!first || !where) return;
      const afterMs = Math.round(performance.now() - first.at);
      const text = lockWaitEnded(end.kind === 'applied' ? { ...end, afterMs } : end);
      await deps.chat
        .update(where.channel, where.ts, message([first.line, text]))
        .catch((err: unknown) => deps.log.warn({ err }, 'the lock wait notice could not be updated'));
    },
  };
}
