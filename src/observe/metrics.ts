/**
 * The bot's own metrics, served as Prometheus text at GET /metrics (docs/observability.md). One registry per bot.
 * Counted where the facts already are: a run's saved transitions (run/runner.ts, through run-facts.ts), a step's
 * result (run/work.ts: lock retries), the checkpoints a monitoring tick stored (run/ticks.ts), the Slack calls
 * that failed (slack-errors.ts) and the scheduler's tick (service.ts). Runs by status are read from the store
 * at each scrape, so every replica reports the same truth.
 */
import { sql } from 'drizzle-orm';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Run, RunEvent } from '../deploy/types.js';
import type { Db } from '../store/db.js';
import { factsOf, LATE_AFTER_MS } from './run-facts.js';

/** A checkpoint a tick stored: taken (`done`) or passed over (`missed`), and when it was due. */
export interface StoredCheckpoint {
  readonly status: 'done' | 'missed';
  readonly dueAt: string;
}

export interface BotMetrics {
  readonly registry: Registry;
  /** A run's decision was saved: `before` → `after`, made by `event`. */
  transition(before: Run, after: Run, event: RunEvent): void;
  /** A step's work on `environment` retried its files `n` times after lock timeouts or deadlocks. */
  lockRetries(environment: string, n: number): void;
  /** The checkpoints of one monitor step that a tick stored at `at`. */
  checkpoints(environment: string, stored: readonly StoredCheckpoint[], at: Date): void;
  /** A Slack Web API call failed (`error`: Slack's error code, or the kind of failure). */
  slackError(method: string, error: string): void;
  /** Time `tick` as the scheduler's tick. */
  timeTick<T>(tick: () => Promise<T>): Promise<T>;
}

const P = 'migration_gate_';
const HOUR = 3600;

/** A registry with the bot's metrics (and Node's process metrics); `db` lets it count runs by status. */
export function createMetrics(db?: Db): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const runsStarted = new Counter({
    name: `${P}runs_started_total`,
    help: 'Runs this process began (their first step started).',
    registers,
  });
  const runsEnded = new Counter({
    name: `${P}runs_ended_total`,
    help: 'Runs this process saw end, by final status.',
    labelNames: ['status'],
    registers,
  });
  const stepSeconds = new Histogram({
    name: `${P}step_duration_seconds`,
    help: 'How long each step took, from start to its end (a monitor step: its whole watch), by step, environment and outcome.',
    labelNames: ['step', 'environment', 'outcome'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, HOUR, 4 * HOUR, 24 * HOUR],
    registers,
  });
  const gateSeconds = new Histogram({
    name: `${P}gate_wait_seconds`,
    help: 'How long an approval gate waited for people, from opening to approved, rejected, expired or cancelled.',
    labelNames: ['environment', 'purpose', 'outcome'],
    buckets: [60, 300, 900, HOUR, 4 * HOUR, 12 * HOUR, 24 * HOUR, 72 * HOUR, 168 * HOUR],
    registers,
  });
  const lockRetries = new Counter({
    name: `${P}lock_retries_total`,
    help: 'Migration files retried after a lock timeout or a deadlock (apply and rollback), by environment.',
    labelNames: ['environment'],
    registers,
  });
  const checkpoints = new Counter({
    name: `${P}checkpoints_total`,
    help: 'Monitoring checkpoints stored: taken (a reading), or missed (passed over for a newer one after the bot was away).',
    labelNames: ['environment', 'outcome'],
    registers,
  });
  const late = new Counter({
    name: `${P}checkpoints_late_total`,
    help: `Checkpoints taken more than ${LATE_AFTER_MS / 1000} s after they were due.`,
    labelNames: ['environment'],
    registers,
  });
  const delay = new Histogram({
    name: `${P}checkpoint_delay_seconds`,
    help: 'How long after it was due each checkpoint was taken.',
    labelNames: ['environment'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 900, HOUR],
    registers,
  });
  const slackErrors = new Counter({
    name: `${P}slack_api_errors_total`,
    help: "Slack Web API calls that failed, by method and Slack's error (or the kind of failure).",
    labelNames: ['method', 'error'],
    registers,
  });
  const tickSeconds = new Histogram({
    name: `${P}scheduler_tick_duration_seconds`,
    help: 'How long each scheduler tick took (recovery, gates, monitoring checkpoints), by outcome.',
    labelNames: ['outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers,
  });
  // One query a scrape: both gauges' collect() run at once (prom-client collects in parallel) and share it.
  let reading: Promise<{ status: string; n: number }[] | undefined> | undefined;
  const runsByStatus = () => {
    reading ??= (async () => {
      if (!db) return undefined;
      const r = await db.execute<{ status: string; n: number }>(
        sql`select status, count(*)::int as n from migration_gate_state.runs group by status`,
      );
      return r.rows;
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };
  new Gauge({
    name: `${P}store_up`,
    help: "1 when the bot's store answered this scrape's query, 0 when it did not.",
    registers,
    async collect() {
      if (db) this.set((await runsByStatus().catch(() => undefined)) ? 1 : 0);
    },
  });
  new Gauge({
    name: `${P}runs`,
    help: 'Runs in the store by status (all replicas; read at each scrape).',
    labelNames: ['status'],
    registers,
    async collect() {
      const rows = await runsByStatus().catch(() => undefined);
      this.reset();
      for (const row of rows ?? []) this.set({ status: row.status }, row.n);
    },
  });

  return {
    registry,
    transition(before, after, event) {
      for (const f of factsOf(before, after, event))
        if (f.kind === 'runStarted') runsStarted.inc();
        else if (f.kind === 'runEnded') runsEnded.inc({ status: f.status });
        else if (f.kind === 'stepEnded')
          stepSeconds.observe({ step: f.step, environment: f.environment, outcome: f.outcome }, f.seconds);
        else
          gateSeconds.observe(
            { environment: f.environment, purpose: f.purpose, outcome: f.outcome },
            f.seconds,
          );
    },
    lockRetries(environment, n) {
      if (n > 0) lockRetries.inc({ environment }, n);
    },
    checkpoints(environment, stored, at) {
      for (const c of stored) {
        checkpoints.inc({ environment, outcome: c.status === 'done' ? 'taken' : 'missed' });
        if (c.status !== 'done') continue;
        const ms = Math.max(0, at.getTime() - Date.parse(c.dueAt));
        delay.observe({ environment }, ms / 1000);
        if (ms > LATE_AFTER_MS) late.inc({ environment });
      }
    },
    slackError(method, error) {
      slackErrors.inc({ method, error });
    },
    async timeTick(tick) {
      const end = tickSeconds.startTimer();
      try {
        const r = await tick();
        end({ outcome: 'ok' });
        return r;
      } catch (e) {
        end({ outcome: 'failed' });
        throw e;
      }
    },
  };
}
