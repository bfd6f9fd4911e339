/** `/deploy-migration watch #run` (the latest figures) and `checkpoint #run` (take one now). */
import { noRun } from '../run/runner.js';
import { textMessage } from '../slack/blocks.js';
import type { SlashCommand } from '../slack/command.js';
import { lastOnDemandAt } from '../store/checkpoints.js';
import * as runs from '../store/runs.js';
import { type Asked, actFor, type Shell } from './answer.js';

export async function watchCommand(
  s: Shell,
  a: Asked,
  cmd: Extract<SlashCommand, { kind: 'watch' | 'checkpoint' }>,
) {
  const run = await runs.loadRun(s.deps.db, cmd.runId);
  if (!run) return a.respond(textMessage(noRun(cmd.runId)));
  const index = run.steps
    .map((st, i) => (st.name === 'monitor' && st.status !== 'pending' ? i : -1))
    .filter((i) => i >= 0)
    .at(-1);
  if (index === undefined)
    return a.respond(
      textMessage(
        `Run #${run.id} has no monitoring ${run.steps.some((st) => st.name === 'monitor') ? 'yet' : '(no environment it deploys to has a monitor plan)'}.`,
      ),
    );
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
