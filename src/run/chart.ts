/**
 * The `chart` effect: a monitor step's readings drawn as a PNG and uploaded to the run's thread, when its watch
 * ends and on `watch #run`. Performed after commit like every effect (no transaction is open while it renders
 * or uploads). A chart that cannot be drawn or uploaded is logged and never stops the run.
 */

import { chartPng } from '../chart/png.js';
import { type ChartInput, chartData, hasReadings } from '../deploy/chart.js';
import { metricValue, unitOf } from '../deploy/metrics.js';
import { latestResult } from '../deploy/step-results.js';
import type { Run } from '../deploy/types.js';
import * as cps from '../store/checkpoints.js';
import { findMessage } from '../store/messages.js';
import { runAlerts } from '../store/report.js';
import { metricsFor } from '../targets.js';
import type { Deps } from './deps.js';
import { placeOf } from './monitor-view.js';

/** What the chart of monitor step `index` is drawn from: its checkpoints, lines, baseline and alerts. */
export async function chartInput(deps: Deps, run: Run, index: number): Promise<ChartInput> {
  const step = run.steps[index]!;
  const ctx = await cps.batchContext(deps.db, [run.id]);
  const baseline = latestResult(
    ctx.results.get(run.id) ?? new Map(),
    'preflight',
    step.env,
    index,
    step.service,
  )?.metricsBaseline;
  const watching = step.status === 'watching' && run.status === 'running';
  const endedAt = watching ? undefined : (step.finishedAt ?? run.finishedAt ?? deps.now());
  return {
    runId: run.id,
    env: placeOf(step.env, step.service),
    plan: deps.env(step.env)?.monitor?.plan,
    watching,
    startedAt: step.startedAt ?? deps.now(),
    ...(endedAt ? { endedAt } : {}),
    metrics: metricsFor(deps.deploy, step.service).map(({ source, rule }) => ({
      rule,
      unit: unitOf(source),
      ...(baseline ? { baseline: metricValue(source, undefined, baseline).value } : {}),
    })),
    checkpoints: ctx.rows
      .filter((r) => r.index === index)
      .map((r) => ({
        seq: r.seq,
        status: r.status,
        dueAt: r.dueAt.toISOString(),
        ...(r.takenAt ? { takenAt: r.takenAt.toISOString() } : {}),
        ...(r.judged ? { judged: r.judged } : {}),
      })),
    alerts: await runAlerts(deps.db, run.id),
    extraFrom: cps.EXTRA,
  };
}

export const chartFilename = (run: Run, index: number) =>
  `run-${run.id}-monitoring-${[run.steps[index]!.env, run.steps[index]!.service]
    .filter(Boolean)
    .join('-')
    .replace(/[^\w-]/g, '_')}.png`;

/** Draw monitor step `index` and upload the picture to the run's thread (nothing before its first reading). */
export async function postChart(deps: Deps, run: Run, index: number): Promise<void> {
  const card = await findMessage(deps.db, run.id, 'card');
  if (!card) return;
  try {
    const input = await chartInput(deps, run, index);
    if (!hasReadings(input)) return;
    const png = await chartPng(chartData(input));
    const how = input.watching ? 'so far' : 'over its watch';
    await deps.chat.upload(card.channel, card.ts, {
      filename: chartFilename(run, index),
      title: `Run #${run.id}: monitoring ${input.env}`,
      content: png,
      initialComment: `How each metric of ${input.env} moved ${how}, against its warn and critical lines (alerts marked).`,
    });
  } catch (e) {
    deps.log.warn(
      { runId: run.id, step: index, error: (e as Error).message },
      'could not post the monitoring chart',
    );
  }
}
