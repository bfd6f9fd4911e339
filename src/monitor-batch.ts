/**
 * One batch of a monitoring tick, in three parts so that no store transaction is open while a target is sampled:
 * 1. claim (a short transaction): mark the due checkpoints of up to BATCH runs as this batch's, read what judging
 *    them needs (each run's done rows: its previous readings), commit;
 * 2. sample each environment once for all the runs watching it, with no transaction open (the claims are renewed
 *    while it lasts, so a slow target is not mistaken for a dead tick);
 * 3. store the readings (one statement), on the rows still claimed by this batch only.
 * A click on a run being sampled therefore never waits for the target.
 */
import { randomUUID } from 'node:crypto';
import type { Environment, MonitorMetric } from './config.js';
import { judgeReading, priorOf } from './deploy/judge-reading.js';
import { metricValue } from './deploy/metrics.js';
import type { Judged, RawSample } from './deploy/monitoring.js';
import { latestResult, type StepResults } from './deploy/step-results.js';
import type { Deps } from './run/deps.js';
import type { MonitorView } from './slack/monitor-blocks.js';
import * as claims from './store/checkpoint-claims.js';
import * as cps from './store/checkpoints.js';
import { describeTargetError } from './target/connect-errors.js';
import { sampleSources } from './target/signals.js';
import { metricsFor } from './targets.js';

/** Runs taken per batch, and targets sampled at once. */
export const BATCH = 250;
export const PARALLEL = 8;

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
    }),
  );
  return out;
}

export interface Measured {
  readonly runId: number;
  readonly index: number;
  readonly env: Environment;
  readonly judged: Judged[];
  readonly firstUnavailable: Judged[];
  readonly view: MonitorView;
  readonly pending: number;
  readonly messages: { kind: string; channel: string; ts: string }[];
  /** Taken on command: shown, but it alerts nobody and triggers nothing on its own. */
  readonly onDemand: boolean;
  /** The run's step results, as read with the batch (what a rollback plan builds on). */
  readonly results: StepResults;
  /** The step's checkpoint rows this batch stored: taken (`done`) or `missed`, and when each was due. */
  readonly stored: { status: 'done' | 'missed'; dueAt: string }[];
}

type Rows = Awaited<ReturnType<typeof cps.batchContext>>['rows'];
export type ViewOf = (env: string, rows: Rows, finished: boolean, service?: string) => MonitorView;

/**
 * Sample every (environment or service's database, touched tables) once, a failure being a reading where nothing is
 * available.
 */
async function sampleAll(
  deps: Deps,
  keys: readonly { env: Environment; touched: string[]; metrics: readonly MonitorMetric[] }[],
  now: Date,
) {
  return mapLimit(keys, PARALLEL, async (p): Promise<RawSample> => {
    const { metrics } = p;
    try {
      return await sampleSources(
        p.env,
        deps.footprints,
        metrics.map((m) => m.source),
        p.touched,
        () => now.toISOString(),
      );
    } catch (e) {
      // A sentence naming the environment and the kind of failure, never its host, user or database.
      const why = `could not sample: ${describeTargetError(p.env, e)}`;
      return {
        at: now.toISOString(),
        counters: {},
        gauges: {},
        unavailable: Object.fromEntries(metrics.map((m) => [m.rule.key, why])),
      };
    }
  });
}

/** Run `fn` while renewing `claimer`'s claims every CLAIM_RENEW_MS; the last renewal is over when it returns. */
async function renewingClaims<T>(deps: Deps, claimer: string, fn: () => Promise<T>): Promise<T> {
  let renewal: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewal = renewal.then(() => claims.renewClaims(deps.db, claimer)).catch(() => {});
  }, claims.CLAIM_RENEW_MS);
  timer.unref();
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    await renewal;
  }
}

/** Claim, sample, judge and store one batch of due checkpoints. `full`: BATCH runs were claimed (take more). */
export async function measureBatch(
  deps: Deps,
  viewOf: ViewOf,
  now: Date,
): Promise<{ measured: Measured[]; rows: number; full: boolean }> {
  const claimer = randomUUID();
  const { due, ctx } = await deps.db.transaction(async (tx) => {
    const due = await claims.claimDue(tx, now, BATCH, claimer);
    return { due, ctx: await cps.batchContext(tx, [...new Set(due.map((d) => d.runId))]) };
  });
  const full = new Set(due.map((d) => d.runId)).size >= BATCH;
  if (!due.length) return { measured: [], rows: 0, full };
  const groups = new Map<string, claims.DueCheckpoint[]>();
  for (const d of due)
    groups.set(`${d.runId}:${d.index}`, [...(groups.get(`${d.runId}:${d.index}`) ?? []), d]);
  const plan = [...groups.values()].map((g) => {
    const { runId, index } = g[0]!;
    const mine = ctx.stepRows.filter((s) => s.runId === runId);
    const step = mine.find((s) => s.index === index)!;
    // With services, a monitor step watches its service's database (targets.ts) with its metrics.
    const service = step.service ?? undefined;
    const env = deps.env(step.env, service) as Environment;
    const results = ctx.results.get(runId) ?? new Map();
    const rows = ctx.rows.filter((r) => r.runId === runId && r.index === index);
    const touched = (latestResult(results, 'apply', env.name, index, service)?.touchedTables ?? [])
      .slice()
      .sort();
    return {
      g,
      env,
      rows,
      metrics: metricsFor(deps.deploy, service),
      baseline: latestResult(results, 'preflight', env.name, index, service)?.metricsBaseline,
      touched,
      // Every run watching one environment (and the same tables) reads the same numbers at this instant.
      key: `${env.name}|${service ?? ''}|${touched.join(',')}`,
      done: rows.filter((r) => r.status === 'done'),
    };
  });
  const keys = [...new Map(plan.map((p) => [p.key, p])).values()];
  const read = await renewingClaims(deps, claimer, () => sampleAll(deps, keys, now));
  const samples = new Map(keys.map((k, i) => [k.key, read[i]!]));
  const updates: Parameters<typeof claims.finishMany>[1][number][] = [];
  const measured = plan.map((p) => {
    const cur = samples.get(p.key)!;
    // Intervals run from planned reading to planned reading: one taken on command in between (shown, never acted
    // on) must not become the start of the next interval, or it would hide what happened before it.
    const prev = p.done.filter((d) => d.seq < cps.EXTRA).at(-1)?.sample ?? p.baseline;
    // Readings taken on command are shown but never count toward `consecutive`.
    const history = (key: string) =>
      p.done.filter((d) => d.seq < cps.EXTRA).map((d) => priorOf(d.judged?.find((j) => j.key === key)));
    const judged = p.metrics.map((m) => {
      const v = metricValue(m.source, prev, cur);
      const base = p.baseline ? metricValue(m.source, undefined, p.baseline).value : undefined;
      return judgeReading(m.rule, v, base, history(m.rule.key));
    });
    // The newest planned checkpoint due is the one that counts; older planned ones were missed; one taken on
    // command at the same time shares the reading.
    const newest = p.g.filter((d) => d.seq < cps.EXTRA).at(-1) ?? p.g.at(-1)!;
    const counts = (d: claims.DueCheckpoint) => d.id === newest.id || d.seq >= cps.EXTRA;
    for (const d of p.g)
      updates.push(
        counts(d) ? { id: d.id, status: 'done', sample: cur, judged } : { id: d.id, status: 'missed' },
      );
    // The rows as they are once this batch is stored: for the monitoring message.
    const taken = new Map(p.g.map((d) => [d.id, d]));
    const after = p.rows.map((r) => {
      const d = taken.get(r.id);
      if (!d) return r;
      return counts(d)
        ? { ...r, status: 'done', takenAt: now, judged }
        : { ...r, status: 'missed', takenAt: now };
    });
    const m: Measured = {
      runId: newest.runId,
      index: newest.index,
      onDemand: newest.seq >= cps.EXTRA,
      env: p.env,
      judged,
      // A source that is down is said in the monitoring message (and alerts at `down: N`), not as "cannot be measured".
      firstUnavailable: judged.filter(
        (j) =>
          j.unavailable &&
          !j.down &&
          !p.done.some((d) => d.judged?.find((x) => x.key === j.key)?.unavailable),
      ),
      view: viewOf(p.env.name, after, false, p.env.service),
      pending: after.filter((r) => r.status === 'pending').length,
      messages: ctx.messages.filter((x) => x.runId === newest.runId),
      results: ctx.results.get(newest.runId) ?? new Map(),
      stored: p.g.map((d) => ({ status: counts(d) ? 'done' : 'missed', dueAt: d.dueAt })),
    };
    return { m, ids: p.g.map((d) => d.id) };
  });
  const stored = new Map(
    (await claims.finishMany(deps.db, updates, now, claimer)).map((s) => [s.id, s.watching]),
  );
  // A claim taken over by another tick is that tick's to act on; a run no longer watched has nothing to act on.
  return {
    measured: measured.filter((x) => x.ids.every((id) => stored.get(id) === true)).map((x) => x.m),
    rows: stored.size,
    full,
  };
}
