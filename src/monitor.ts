/**
 * The monitor step: checkpoints on a durable schedule, metrics against their lines, alerts, rollback triggers.
 * A tick works in batches (monitor-batch.ts): claim due checkpoints in a short transaction, sample each environment
 * once with no transaction open, judge every run, store it all in one statement, then tell people.
 */
import type { MonitorMetric } from './config.js';
import { actionable, checkpointTimes, fmt, type Judged } from './deploy/monitoring.js';
import { describeRollback } from './deploy/rollback-plan.js';
import type { Run } from './deploy/types.js';
import type { Engine } from './engine.js';
import { type Measured, mapLimit, measureBatch, PARALLEL } from './monitor-batch.js';
import type { Chat } from './slack/chat.js';
import {
  type AlertRollback,
  alertMessage,
  type MonitorView,
  monitorMessage,
  progressText,
  unavailableMessage,
} from './slack/monitor-blocks.js';
import { type Message, SYSTEM_ACTOR } from './slack/mrkdwn.js';
import { recordAlert, rememberAlertMessage } from './store/alerts.js';
import * as cps from './store/checkpoints.js';
import * as runs from './store/runs.js';

type Shown = Judged & { unit: string; dryRun: boolean };

export function createMonitor(engine: Engine, chat: Chat) {
  const db = engine.db;
  const metrics = (): readonly MonitorMetric[] => engine.deploy.monitoring.metrics;
  const unitOf = (key: string) => {
    const m = metrics().find((x) => x.rule.key === key);
    if (m?.source.kind !== 'builtin') return '';
    const name = m.source.metric;
    return name.endsWith('_ms')
      ? ' ms'
      : name === 'error_rate' || name === 'cache_hit_ratio'
        ? '%'
        : name === 'database_size_mb'
          ? ' MB'
          : '';
  };
  const shown = (j: Judged): Shown => ({
    ...j,
    unit: unitOf(j.key),
    dryRun: metrics().find((m) => m.rule.key === j.key)?.rule.dryRun ?? false,
  });

  /** Progress and the newest figures, from a step's checkpoint rows. */
  function viewOf(
    env: string,
    rows: readonly Pick<cps.CheckpointReading, 'seq' | 'status' | 'dueAt' | 'takenAt' | 'judged'>[],
    finished: boolean,
  ): MonitorView {
    const planned = rows.filter((r) => r.seq < cps.EXTRA);
    const last = rows
      .filter((r) => r.status === 'done')
      .sort((a, b) => a.takenAt!.getTime() - b.takenAt!.getTime())
      .at(-1);
    return {
      env,
      plan: engine.env(env)?.monitor?.plan ?? '?',
      done: planned.filter((r) => r.status === 'done').length,
      missed: planned.filter((r) => r.status === 'missed').length,
      total: planned.length,
      nextAt: planned.find((r) => r.status === 'pending')?.dueAt.toISOString(),
      latest: last && { at: last.takenAt!.toISOString(), judged: (last.judged ?? []).map(shown) },
      finished,
    };
  }

  async function view(run: Run, index: number): Promise<MonitorView> {
    const ctx = await cps.batchContext(db, [run.id]);
    return viewOf(
      run.steps[index]!.env,
      ctx.rows.filter((r) => r.index === index),
      run.steps[index]!.status !== 'watching',
    );
  }

  async function postOrUpdate(
    runId: number,
    kind: string,
    message: Message,
    messages: Measured['messages'],
  ): Promise<void> {
    const mine = messages.find((m) => m.kind === kind);
    if (mine) return void (await chat.update(mine.channel, mine.ts, message).catch(() => {}));
    const card = messages.find((m) => m.kind === 'card');
    if (!card) return;
    const ts = await chat.post(card.channel, message, card.ts);
    await runs.rememberMessage(db, runId, kind, card.channel, ts);
  }

  /** A monitor step began: schedule its checkpoints from the plan and post the monitoring message. */
  async function start(run: Run, index: number): Promise<void> {
    const step = run.steps[index]!;
    const env = engine.env(step.env);
    if (!env?.monitor) return;
    await cps.scheduleCheckpoints(db, run.id, index, checkpointTimes(step.startedAt!, env.monitor.phases));
    const ctx = await cps.batchContext(db, [run.id]);
    await postOrUpdate(
      run.id,
      `monitor:${index}`,
      monitorMessage(run.id, await view(run, index)),
      ctx.messages,
    );
  }

  /** After the checkpoint is stored: tell people, and act on rollback triggers. */
  async function act(m: Measured): Promise<void> {
    const { runId, index, env, judged } = m;
    await postOrUpdate(runId, `monitor:${index}`, monitorMessage(runId, m.view), m.messages);
    const card = m.messages.find((x) => x.kind === 'card');
    if (m.firstUnavailable.length && card)
      await chat.post(card.channel, unavailableMessage(env.name, m.firstUnavailable), card.ts);
    if (m.onDemand) {
      if (card) await engine.renderCard((await runs.loadRun(db, runId))!);
      return;
    }
    const { critical, warn, trigger } = actionable(
      judged,
      metrics().map((x) => x.rule),
    );
    const quiet = !critical.length && !warn.length && m.pending > 0;
    if (quiet) {
      // The card shows the monitor's progress: redraw it (only runs with a card have anyone to show it to).
      if (card) await engine.renderCard((await runs.loadRun(db, runId))!);
      return;
    }
    const run = (await runs.loadRun(db, runId))!;
    const gated = env.approvals.length > 0;
    const post = async (level: 'warn' | 'critical', rollback?: AlertRollback) => {
      const alertId = await recordAlert(db, { runId, stepIndex: index, level, judged });
      const message = alertMessage(run, env.name, level, judged.map(shown), {
        oncall: engine.deploy.monitoring.oncall,
        alertId,
        rollback,
      });
      if (!card) return;
      // Critical alerts also go to the channel, mentioning on-call; warnings stay in the thread.
      const ts = await chat.post(card.channel, message, card.ts, level === 'critical');
      await rememberAlertMessage(db, alertId, card.channel, ts, { judged, message });
    };
    if (trigger) {
      const reason = `${trigger.key} ${fmt(trigger.value)}${unitOf(trigger.key)} crossed its critical line (${trigger.line}) on ${env.name}`;
      const plan = await engine.rollbackPlan(run, index);
      const possible = plan.undo.length > 0;
      const rollingBack = possible && (env.autoRollback || gated);
      await post('critical', {
        when: !possible ? 'impossible' : env.autoRollback ? 'now' : gated ? 'approval' : 'offer',
        plan: describeRollback(plan, env.name),
      });
      await runs.audit(db, {
        actor: SYSTEM_ACTOR,
        action: 'rollback.triggered',
        runId,
        detail: { metric: trigger.key, value: trigger.value, automatic: env.autoRollback },
      });
      // Automatic with autoRollback; otherwise through a rollback gate where the environment has approval rules,
      // or by a person pressing Roll back on the alert.
      if (rollingBack)
        await engine.advance(runId, {
          type: 'rollbackRequested',
          index,
          at: engine.now(),
          by: SYSTEM_ACTOR,
          reason,
          automatic: env.autoRollback,
        });
      return;
    }
    if (critical.length) await post('critical');
    else if (warn.length) await post('warn');
    if (m.pending === 0)
      await engine.advance(runId, {
        type: 'monitorDone',
        index,
        at: engine.now(),
        summary: progressText(m.view).replace(/ · next.*/, ''),
      });
    else if (card) await engine.renderCard(run);
  }

  /** The scheduler's tick: every due checkpoint of every watching run, each exactly once across replicas. */
  async function tick(now: Date): Promise<{ runs: number; checkpoints: number }> {
    let taken = 0;
    let rows = 0;
    for (;;) {
      const batch = await measureBatch(engine, viewOf, now);
      await mapLimit(batch.measured, PARALLEL, act);
      taken += batch.measured.length;
      rows += batch.rows;
      if (!batch.full) return { runs: taken, checkpoints: rows };
    }
  }

  /** Take a checkpoint now, outside the plan. */
  /** Take a checkpoint now; false when someone else's, asked at the same instant, is being taken instead. */
  async function takeNow(run: Run, index: number, now: Date): Promise<boolean> {
    if (!(await cps.addExtraCheckpoint(db, run.id, index, now))) return false;
    await tick(now);
    return true;
  }

  return {
    start,
    view,
    tick,
    takeNow,
    progressText: async (run: Run, index: number) => progressText(await view(run, index)),
  };
}
