/** `/deploy-migration status [#run]`: the latest runs, or one run's card and what it measured. */
import { gatherReport } from '../reporting.js';
import { noRun } from '../run/runner.js';
import { statusList, textMessage } from '../slack/blocks.js';
import type { Respond } from '../slack/chat.js';
import { reportSummary } from '../slack/report.js';
import { runCard } from '../slack/run-card.js';
import * as runs from '../store/runs.js';
import type { Shell } from './answer.js';

export async function statusCommand(s: Shell, runId: number | undefined, respond: Respond) {
  const { db, deploy } = s.deps;
  if (runId === undefined) return respond(statusList(await runs.recentRuns(db, 10)));
  const run = await runs.loadRun(db, runId);
  if (!run) return respond(textMessage(noRun(runId)));
  const card = runCard(run);
  const report = reportSummary(await gatherReport(db, deploy, run));
  return respond({
    text: card.text,
    blocks: [...card.blocks.filter((b) => b.type !== 'actions'), ...report.blocks],
  });
}
