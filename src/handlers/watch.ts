/** `/deploy-migration watch #run` (the latest figures) and `checkpoint #run` (take one now). */

import type { Run } from '../deploy/types.js';
import { noRun } from '../run/runner.js';
import { textMessage } from '../slack/blocks.js';
import type { SlashCommand } from '../slack/command.js';
import { esc } from '../slack/mrkdwn.js';
import { lastOnDemandAt } from '../store/checkpoints.js';
import * as runs from '../store/runs.js';
import { type Asked, actFor, type Shell } from './answer.js';

/** Why a run has no monitor step to show: none planned, not reached yet, or skipped (and why). */
function notWatched(run: Run): string {
  const monitors = run.steps.filter((st) => st.name === 'monitor');
  if (!monitors.length)
    return `Run #${run.id} has no monitoring: no environment it deploys to has a monitor plan.`;
  const next = monitors.find((st) => st.status === 'pending');
  if (next && run.status === 'running')
    return `Run #${run.id} is not being watched yet: ${next.env} is watched once its apply and verification are done.`;
  const skipped = monitors.map((st) => `${st.env} (${st.summary ?? 'skipped'})`).join(', ');
  return `Run #${run.id} was not watched: its monitoring was skipped on ${skipped}.`;
}

export async function watchCommand(
  s: Shell,
  a: Asked,
  cmd: Extract<SlashCommand, { kind: 'watch' | 'checkpoint' }>,
) {
  const run = await runs.loadRun(s.deps.db, cmd.runId);
  if (!run) return a.respond(textMessage(noRun(cmd.runId)));
  // The monitor step watching now, or the last one that watched (a skipped one never did).
  const monitors = run.steps.map((st, i) => ({ st, i })).filter(({ st }) => st.name === 'monitor');
  const index = monitors.filter(({ st }) => !['pending', 'skipped'].includes(st.status)).at(-1)?.i;
  if (index === undefined) return a.respond(textMessage(esc(notWatched(run))));
  const at = s.deps.now();
  if (cmd.kind === 'watch')
    return void (await actFor(s, run.id, a, { type: 'watch', index, at, by: a.user }));
  const last = await lastOnDemandAt(s.deps.db, run.id);
  await actFor(s, run.id, a, {
    type: 'checkpointNow',
    index,
    at,
    by: a.user,
    lastOnDemandAt: last?.toISOString(),
  });
}
