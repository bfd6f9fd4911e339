/** What every part of the shell is handed: built once at start, plain data and ports, no late-bound hooks. */

import type { DeployConfig, Environment } from '../config.js';
import type { Policy } from '../deploy/decision.js';
import type { Logger } from '../log.js';
import { type BotMetrics, createMetrics } from '../observe/metrics.js';
import type { Chat } from '../slack/chat.js';
import type { Db, Store } from '../store/db.js';
import { measureFor, storeFootprints } from '../store/footprints.js';
import { type Liveness, liveness } from '../store/liveness.js';
import type { Footprints } from '../target/footprint.js';
import { targetOf } from '../targets.js';
import { policyOf } from './policy.js';

export interface ShellOptions {
  readonly store: Store;
  readonly deploy: DeployConfig;
  readonly chat: Chat;
  readonly log: Logger;
  readonly secrets: readonly string[];
  readonly now?: () => Date;
  /** The bot's own metrics (GET /metrics); a registry of its own when not given. */
  readonly metrics?: BotMetrics;
}

export interface Deps {
  readonly db: Db;
  readonly deploy: DeployConfig;
  readonly chat: Chat;
  readonly log: Logger;
  readonly secrets: readonly string[];
  readonly policy: Policy;
  /** The bot's own work on each target, kept out of every figure it reports (see target/footprint.ts). */
  readonly footprints: Footprints;
  /** This process owns the runs it works on (their advisory locks); recovery takes only runs nobody owns. */
  readonly live: Liveness;
  /** What the shell counts for GET /metrics (observe/metrics.ts). */
  readonly metrics: BotMetrics;
  readonly clock: () => Date;
  /** The clock as an ISO string (what events carry). */
  readonly now: () => string;
  /** An environment, or with deploy.yml `services:` one service's database there (targets.ts). */
  readonly env: (name: string, service?: string) => Environment | undefined;
  /** Slow work continues after the Slack ack; failures are logged, never unhandled. */
  readonly background: (what: string, work: () => Promise<unknown>) => void;
  /** Resolves when every piece of background work has finished (tests, graceful shutdown). */
  readonly idle: () => Promise<void>;
}

export function createDeps(o: ShellOptions): Deps {
  const clock = () => (o.now ?? (() => new Date()))();
  const inflight = new Set<Promise<unknown>>();
  return {
    db: o.store.db,
    deploy: o.deploy,
    chat: o.chat,
    log: o.log,
    secrets: o.secrets,
    policy: policyOf(o.deploy),
    footprints: storeFootprints(o.store.db, measureFor(o.deploy.monitoring.metrics)),
    live: liveness(o.store.pool),
    metrics: o.metrics ?? createMetrics(o.store.db),
    clock,
    now: () => clock().toISOString(),
    env: (name, service) => targetOf(o.deploy, name, service),
    background(what, work) {
      // setImmediate: let the HTTP acks of requests that arrived together go out before any of their work starts.
      const p = new Promise((resolve) => setImmediate(resolve))
        .then(work)
        .catch((e) => o.log.error({ err: e }, `${what} failed`))
        .finally(() => inflight.delete(p));
      inflight.add(p);
    },
    async idle() {
      while (inflight.size) await Promise.allSettled([...inflight]);
    },
  };
}
