/** The monitor step: checkpoints on a durable schedule, metrics against their lines, alerts, rollback triggers. */
import type { Environment, MonitorMetric } from './config.js';
import { metricValue } from './deploy/metrics.js';
import { actionable, checkpointTimes, fmt, type Judged, judge, type RawSample } from './deploy/monitoring.js';
import type { ApplyResult, PreflightResult } from './deploy/results.js';
import type { Run } from './deploy/types.js';
import type { Engine } from './engine.js';
import { SYSTEM_ACTOR } from './slack/blocks.js';
import type { Chat } from './slack/chat.js';
import { alertMessage, type MonitorView, monitorMessage, progressText } from './slack/monitor-blocks.js';
import * as cps from './store/checkpoints.js';
import * as runs from './store/runs.js';
import { withTargetClient } from './target/client.js';
import { sampleMetrics } from './target/metrics.js';

type Shown = Judged & { unit: string; dryRun: boolean };

/** Runs taken per transaction, and target samples taken at once. */
const BATCH = 50;
const PARALLEL = 8;

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
    }),
  );
  return out;
}

export function createMonitor(engine: Engine, chat: Chat) {
  const db = engine.db;
  const metrics = (): readonly MonitorMetric[] => engine.deploy.monitoring.metrics;
  const unitOf = (key: string) => {
    const m = metrics().find((x) => x.rule.key === key);
    return m?.source.kind === 'builtin'
      ? m.source.metric.endsWith('_ms')
        ? ' ms'
        : m.source.metric === 'error_rate' || m.source.metric === 'cache_hit_ratio'
          ? '%'
          : m.source.metric === 'database_size_mb'
            ? ' MB'
            : ''
      : '';
  };
  const shown = (j: Judged): Shown => ({
    ...j,
    unit: unitOf(j.key),
    dryRun: metrics().find((m) => m.rule.key === j.key)?.rule.dryRun ?? false,
  });

  async function view(run: Run, index: number): Promise<MonitorView> {
    const step = run.steps[index]!;
    const p = await cps.progressOf(db, run.id, index);
    const done = await cps.doneCheckpoints(db, run.id, index);
    const last = done.at(-1);
    return {
      env: step.env,
      plan: engine.env(step.env)?.monitor?.plan ?? '?',
      ...p,
      latest: last && { at: last.takenAt, judged: last.judged.map(shown) },
      finished: step.status !== 'watching',
    };
  }

  async function render(run: Run, index: number): Promise<void> {
    const message = monitorMessage(run, await view(run, index));
    if (await runs.findMessage(db, run.id, `monitor:${index}`))
      await engine.update(run.id, `monitor:${index}`, message);
    else await engine.reply(run, `monitor:${index}`, message);
  }

  /** A monitor step began: schedule its checkpoints from the plan and post the monitoring message. */
  async function start(run: Run, index: number): Promise<void> {
    const step = run.steps[index]!;
    const env = engine.env(step.env);
    if (!env?.monitor) return;
    await cps.scheduleCheckpoints(db, run.id, index, checkpointTimes(step.startedAt!, env.monitor.phases));
    await render(run, index);
  }

  /** Measure one run's due checkpoints: the newest is taken, older overdue ones are folded into it (missed). */
  async function measure(tx: runs.Tx, due: cps.DueCheckpoint[], now: Date) {
    const { runId, index } = due[0]!;
    const run = (await runs.loadRun(tx, runId))!;
    const env = engine.env(run.steps[index]!.env) as Environment;
    const results = await runs.loadStepResults(tx, runId);
    const before = (name: string) => {
      for (let i = index - 1; i >= 0; i--)
        if (run.steps[i]!.env === env.name && run.steps[i]!.name === name && results.has(i))
          return results.get(i);
      return undefined;
    };
    const baseline = (before('preflight') as PreflightResult | undefined)?.metricsBaseline;
    const touched = (before('apply') as ApplyResult | undefined)?.touchedTables ?? [];
    const done = await cps.doneCheckpoints(tx, runId, index);
    const prev: RawSample | undefined = done.at(-1)?.sample ?? baseline;
    let cur: RawSample;
    try {
      cur = await withTargetClient(env, (c) =>
        sampleMetrics(
          c,
          metrics().map((m) => m.source),
          touched,
          now.toISOString(),
        ),
      );
    } catch (e) {
      const why = `could not sample ${env.name}: ${(e as Error).message}`;
      cur = {
        at: now.toISOString(),
        counters: {},
        gauges: {},
        unavailable: Object.fromEntries(metrics().map((m) => [m.rule.key, why])),
      };
    }
    const judged = metrics().map((m) => {
      const v = metricValue(m.source, prev, cur);
      const base = baseline ? metricValue(m.source, undefined, baseline).value : undefined;
      const history = done.map((d) => d.judged.find((j) => j.key === m.rule.key)?.raw ?? 'ok');
      return judge(m.rule, v.value, base, history, v.unavailable, v.quiet);
    });
    const newest = due.at(-1)!;
    for (const d of due.slice(0, -1)) await cps.finishCheckpoint(tx, d.id, 'missed', now);
    await cps.finishCheckpoint(tx, newest.id, 'done', now, cur, judged);
    const firstUnavailable = judged.filter(
      (j) => j.unavailable && !done.some((d) => d.judged.find((x) => x.key === j.key)?.unavailable),
    );
    return { run, index, env, judged, firstUnavailable, pending: await cps.pendingCount(tx, runId, index) };
  }

  /** After the checkpoint is stored: tell people, and act on rollback triggers. */
  async function act(m: Awaited<ReturnType<typeof measure>>): Promise<void> {
    const { run, index, env, judged } = m;
    await render(run, index);
    if (m.firstUnavailable.length)
      await engine.reply(run, `monitor-unavailable:${index}:${Date.now()}`, {
        text: `Some metrics cannot be measured on ${env.name}`,
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: m.firstUnavailable
                .map((j) => `⚠️ *${j.key}* cannot be measured on ${env.name}: ${j.unavailable}`)
                .join('\n'),
            },
          },
        ],
      });
    const { critical, warn, trigger } = actionable(
      judged,
      metrics().map((m) => m.rule),
    );
    const gated = (env.approvals.length ?? 0) > 0;
    const card = await runs.findMessage(db, run.id, 'card');
    const post = async (level: 'warn' | 'critical', rollingBack: boolean) => {
      const alertId = await cps.recordAlert(db, { runId: run.id, level, metrics: judged });
      const message = alertMessage(run, env.name, level, judged.map(shown), {
        oncall: engine.deploy.monitoring.oncall,
        alertId,
        rollingBack,
      });
      if (!card) return;
      // Critical alerts also go to the channel, mentioning on-call; warnings stay in the thread.
      const ts = await chat.post(card.channel, message, card.ts, level === 'critical');
      await cps.rememberAlertMessage(db, alertId, card.channel, ts, { judged, message });
    };
    if (trigger) {
      const reason = `${trigger.key} ${fmt(trigger.value)}${unitOf(trigger.key)} crossed its critical line (${trigger.line}) on ${env.name}`;
      await post('critical', env.autoRollback || gated);
      await runs.audit(db, {
        actor: 'migration-gate',
        action: 'rollback.triggered',
        runId: run.id,
        detail: { metric: trigger.key, value: trigger.value, automatic: env.autoRollback },
      });
      if (env.autoRollback || gated)
        await engine.advance(run.id, {
          type: 'rollbackRequested',
          index,
          at: engine.now(),
          by: SYSTEM_ACTOR,
          reason,
          automatic: env.autoRollback,
        });
      return;
    }
    if (critical.length) await post('critical', false);
    else if (warn.length) await post('warn', false);
    if (m.pending === 0) {
      const p = await cps.progressOf(db, run.id, index);
      await engine.advance(run.id, {
        type: 'monitorDone',
        index,
        at: engine.now(),
        summary: `${p.done + p.missed}/${p.total} checkpoints${p.missed ? `, ${p.missed} missed` : ''}`,
      });
    }
  }

  /** The scheduler's tick: every due checkpoint of every watching run, each exactly once across replicas. */
  async function tick(now: Date): Promise<number> {
    let acted = 0;
    for (;;) {
      const measured = await db.transaction(async (tx) => {
        const due = await cps.claimDue(tx, now, BATCH);
        const byStep = new Map<string, cps.DueCheckpoint[]>();
        for (const d of due)
          byStep.set(`${d.runId}:${d.index}`, [...(byStep.get(`${d.runId}:${d.index}`) ?? []), d]);
        const groups = [...byStep.values()];
        return mapLimit(groups, PARALLEL, (g) => measure(tx, g, now));
      });
      for (const m of measured) await act(m);
      acted += measured.length;
      if (measured.length < BATCH) return acted;
    }
  }

  /** Take a checkpoint now, outside the plan. */
  async function takeNow(run: Run, index: number, now: Date): Promise<void> {
    await cps.addExtraCheckpoint(db, run.id, index, now);
    await tick(now);
  }

  return {
    start,
    render,
    view,
    tick,
    takeNow,
    progressText: async (run: Run, index: number) => progressText(await view(run, index)),
  };
}
