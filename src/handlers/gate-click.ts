/**
 * Approve, Approve with conditions, Reject on a gate's card, and the reason modal after them: one decision each,
 * under the run's row lock (50 people clicking at once give exactly one transition).
 */
import type { Decision as Verdict } from '../deploy/approvals.js';
import type { StepRef } from '../slack/refs.js';
import { type Asked, actFor, type Shell } from './answer.js';

export async function gateClick(
  s: Shell,
  a: Asked & { ref: StepRef; decision: Verdict; reason?: string },
): Promise<void> {
  await actFor(s, a.ref.run, a, {
    type: 'approvalClicked',
    index: a.ref.step,
    at: s.deps.now(),
    by: a.user,
    decision: a.decision,
    reason: a.reason,
    digest: a.ref.digest,
  });
}
