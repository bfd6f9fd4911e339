/**
 * The end of a run: gather what it measured, post the summary in its thread, and upload the whole report there
 * as a Markdown file. A failed upload never loses the run's end: the summary then says so.
 */
import type { DeployConfig } from './config.js';
import { unitOf } from './deploy/metrics.js';
import type { ReportData, ReportMetric } from './deploy/report.js';
import { servicesForReport } from './deploy/report-services.js';
import type { Run } from './deploy/types.js';
import type { Logger } from './log.js';
import type { Chat } from './slack/chat.js';
import { reportFilename, reportSummary } from './slack/report.js';
import { reportMarkdown } from './slack/report-markdown.js';
import { allApprovals } from './store/approvals.js';
import type { Tx } from './store/db.js';
import { findMessage, rememberMessage } from './store/messages.js';
import { runAlerts, runCheckpoints } from './store/report.js';
import { loadStepResults } from './store/step-results.js';

export async function gatherReport(db: Tx, deploy: DeployConfig, run: Run): Promise<ReportData> {
  const metrics = deploy.monitoring.metrics.map(
    ({ source, rule, service }): ReportMetric => ({
      ...(service ? { service } : {}),
      key: rule.key,
      unit: unitOf(source),
      ...(rule.warn ? { warn: rule.warn.text } : {}),
      ...(rule.critical ? { critical: rule.critical.text } : {}),
      consecutive: rule.consecutive,
      rollback: rule.rollback,
      dryRun: rule.dryRun,
    }),
  );
  // With services, each service's steps are a place of their own in the report (deploy/report-services.ts).
  const shown = servicesForReport(
    run,
    await loadStepResults(db, run.id),
    Object.fromEntries(deploy.environments.flatMap((e) => (e.monitor ? [[e.name, e.monitor.plan]] : []))),
  );
  return {
    run: shown.run,
    approvals: await allApprovals(db, run.id),
    results: shown.results,
    checkpoints: await runCheckpoints(db, run.id),
    alerts: await runAlerts(db, run.id),
    metrics,
    plans: shown.plans,
  };
}

export async function postReport(
  deps: { db: Tx; deploy: DeployConfig; chat: Chat; log: Logger },
  run: Run,
): Promise<void> {
  const { db, chat, log } = deps;
  const card = await findMessage(db, run.id, 'card');
  if (!card) return;
  const data = await gatherReport(db, deps.deploy, run);
  const name = reportFilename(run);
  const ts = await chat.post(card.channel, reportSummary(data, { name }), card.ts);
  await rememberMessage(db, run.id, 'report', card.channel, ts);
  try {
    await chat.upload(card.channel, card.ts, {
      filename: name,
      title: `Run #${run.id} report: ${run.migration}`,
      content: reportMarkdown(data),
      initialComment: `The full report of run #${run.id} (Markdown).`,
    });
  } catch (e) {
    const problem = (e as Error).message;
    log.warn({ runId: run.id, error: problem }, 'could not upload the run report');
    await chat
      .update(card.channel, ts, reportSummary(data, { name, problem }))
      .catch((err: Error) => log.warn({ runId: run.id, error: err.message }, 'could not update the report'));
  }
}
