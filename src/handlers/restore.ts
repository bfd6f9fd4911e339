/** Restore from backup / Finish without restoring, pressed on the card of a run holding on a rollback's offer. */
import type { StepRef } from '../slack/refs.js';
import { type Asked, actFor, type Shell } from './answer.js';

export async function restoreClick(
  s: Shell,
  a: Asked & { ref: StepRef },
  what: 'restore' | 'finish',
): Promise<void> {
  await actFor(s, a.ref.run, a, {
    type: what === 'restore' ? 'restoreRequested' : 'restoreDeclined',
    index: a.ref.step,
    at: s.deps.now(),
    by: a.user,
  });
}
