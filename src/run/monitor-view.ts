/**
 * The monitor step's messages: its progress and newest figures (from its checkpoint rows), the monitoring message
 * in the thread, alerts and their acknowledgement. No decision is taken here (deploy/monitor-decisions.ts).
 */
import { checkpointTimes, type Judged } from '../deploy/monitoring.js';
import type { Run } from '../deploy/types.js';
import {
  type AlertRollback,
  acknowledgedAlert,
  alertMessage,
  type MonitorView,
  monitorMessage,
  progressText,
} from '../slack/monitor-blocks.js';
import type { Message } from '../slack/mrkdwn.js';
import { findAlert, recordAlert, rememberAlertMessage } from '../store/alerts.js';
import * as cps from '../store/checkpoints.js';
import { findMessage, rememberMessage } from '../store/messages.js';
import type { Deps } from './deps.js';

type Rows = Awaited<ReturnType<typeof cps.batchContext>>['rows'];

/** Where a monitor step watches: its environment, and with services its service ("staging · community"). */
export const placeOf = (env: string, service?: string) => (service ? `${env} · ${service}` : env);

/** A reading as people see it: with its unit, and whether its metric only reports (dry run). */
export const shown = (deps: Deps, j: Judged) => ({
  ...j,
  unit: deps.policy.unit(j.key),
  dryRun: deps.policy.metrics.find((m) => m.key === j.key)?.dryRun ?? false,
});

/** Progress and the newest figures, from a step's checkpoint rows. */
export function viewOf(
  deps: Deps,
  env: string,
  rows: Rows,
  finished: boolean,
  /** With services: whose database it watches ("staging · community" in the message). */
  service?: string,
): MonitorView {
  const planned = rows.filter((r) => r.seq < cps.EXTRA);
  const last = rows
    .filter((r) => r.status === 'done')
    .sort((a, b) => a.takenAt!.getTime() - b.takenAt!.getTime())
    .at(-1);
  return {
    env: placeOf(env, service),
    plan: deps.env(env)?.monitor?.plan ?? '?',
    done: planned.filter((r) => r.status === 'done').length,
    missed: planned.filter((r) => r.status === 'missed').length,
    total: planned.length,
    nextAt: planned.find((r) => r.status === 'pending')?.dueAt.toISOString(),
    latest: last && {
      at: last.takenAt!.toISOString(),
      judged: (last.judged ?? []).map((j) => shown(deps, j)),
    },
    finished,
  };
}

export async function monitorView(deps: Deps, run: Run, index: number): Promise<MonitorView> {
  const ctx = await cps.batchContext(deps.db, [run.id]);
  return viewOf(
    deps,
    run.steps[index]!.env,
    ctx.rows.filter((r) => r.index === index),
    run.steps[index]!.status !== 'watching',
    run.steps[index]!.service,
  );
}

export const monitorProgress = async (deps: Deps, run: Run, index: number) =>
  progressText(await monitorView(deps, run, index));

/** Post `message` in the run's thread as `kind`, or update it when it is there already. */
type Known = readonly { kind: string; channel: string; ts: string }[];

/** `known`: the run's messages when the caller read them already (a monitoring batch does). */
async function postOrUpdate(deps: Deps, runId: number, kind: string, message: Message, known?: Known) {
  const find = async (k: string) =>
    known ? known.find((m) => m.kind === k) : await findMessage(deps.db, runId, k);
  const mine = await find(kind);
  if (mine) return void (await deps.chat.update(mine.channel, mine.ts, message).catch(() => {}));
  const card = await find('card');
  if (!card) return;
  const ts = await deps.chat.post(card.channel, message, card.ts);
  await rememberMessage(deps.db, runId, kind, card.channel, ts);
}

export async function showMonitorMessage(
  deps: Deps,
  run: Run,
  index: number,
  view?: MonitorView,
  known?: Known,
) {
  const message = monitorMessage(run.id, view ?? (await monitorView(deps, run, index)));
  await postOrUpdate(deps, run.id, `monitor:${index}`, message, known);
}

/** A monitor step began: schedule its checkpoints from the plan and post the monitoring message. */
export async function startMonitor(deps: Deps, run: Run, index: number): Promise<void> {
  const step = run.steps[index]!;
  const env = deps.env(step.env);
  if (!env?.monitor) return;
  await cps.scheduleCheckpoints(deps.db, run.id, index, checkpointTimes(step.startedAt!, env.monitor.phases));
  await showMonitorMessage(deps, run, index);
}

/** Record an alert and post it in the thread (critical ones also in the channel, mentioning on-call). */
export async function postAlert(
  deps: Deps,
  run: Run,
  index: number,
  level: 'warn' | 'critical',
  judged: readonly Judged[],
  rollback?: AlertRollback,
): Promise<void> {
  const alertId = await recordAlert(deps.db, { runId: run.id, stepIndex: index, level, judged });
  const message = alertMessage(
    run,
    placeOf(run.steps[index]!.env, run.steps[index]!.service),
    level,
    judged.map((j) => shown(deps, j)),
    { oncall: deps.policy.oncall, alertId, rollback, stepIndex: index },
  );
  const card = await findMessage(deps.db, run.id, 'card');
  if (!card) return;
  const ts = await deps.chat.post(card.channel, message, card.ts, level === 'critical');
  await rememberAlertMessage(deps.db, alertId, card.channel, ts, { judged, message });
}

/** An acknowledged alert loses its buttons and says who answered. */
export async function redrawAlert(deps: Deps, alertId: number, by: string, keep: boolean): Promise<void> {
  const alert = await findAlert(deps.db, alertId);
  const original = alert?.record.message;
  if (alert?.channel && alert.ts && original)
    await deps.chat.update(alert.channel, alert.ts, acknowledgedAlert(original, by, keep));
}
