/** Acknowledge / Keep watching on a critical alert: recorded once, by someone answerable for its environment. */
import { textMessage } from '../slack/blocks.js';
import type { AlertRef } from '../slack/refs.js';
import { findAlert } from '../store/alerts.js';
import * as runs from '../store/runs.js';
import { type Asked, actFor, type Shell } from './answer.js';

export async function answerAlert(s: Shell, a: Asked & { ref: AlertRef }, keep: boolean): Promise<void> {
  const run = await runs.loadRun(s.deps.db, a.ref.run);
  const alert = await findAlert(s.deps.db, a.ref.alert);
  if (!run || !alert || alert.runId !== run.id)
    return a.respond(textMessage('That alert was not found; use the latest one.'));
  // The monitor step the alert is about (alerts from before this was recorded: where the run is watching).
  const watching = run.steps.findIndex((st) => st.status === 'watching');
  const index = alert.stepIndex ?? (watching !== -1 ? watching : run.steps.length - 1);
  await actFor(s, run.id, a, {
    type: 'acknowledge',
    index,
    at: s.deps.now(),
    by: a.user,
    alert: alert.id,
    keep,
  });
}
