/**
 * Who blocks the applying session, seen from a second connection while an attempt waits for its lock
 * (pg_blocking_pids), and whether those transactions are still open before the next attempt queues again.
 * The second connection is opened only when an attempt is slow, and counts as the bot's own footprint.
 */
import type pg from 'pg';
import type { Blocker } from '../deploy/lock-attempts.js';
import type { Footprints } from './footprint.js';
import { openTracked } from './sessions.js';

/** Start looking this long into an attempt, then look again after a growing pause until it ends. */
const FIRST_LOOK_MS = 20;
const next = (pause: number) => Math.min(1000, Math.round(pause * 1.5));

// "table": the relation the applying session waits for (the same on every row).
const BLOCKERS_SQL = `select a.pid, coalesce(a.application_name, '') as application, coalesce(a.state, '') as state,
  coalesce(extract(epoch from clock_timestamp() - a.xact_start) * 1000, 0)::float8 as "transactionMs",
  a.xact_start::text as xact, left(split_part(ltrim(coalesce(a.query, '')), E'\\n', 1), 100) as query,
  (select string_agg(distinct l.relation::regclass::text, ', ') from pg_locks l
    where l.pid = $1 and not l.granted and l.relation is not null) as "table"
  from pg_stat_activity a where a.pid = any(pg_blocking_pids($1))`;

/** A blocker and the start of its transaction, to tell later whether that same transaction is still open. */
export interface SeenBlocker extends Blocker {
  readonly xact: string | null;
}

/** An attempt that gave up: who held the lock, and on which table (when the bot saw them). */
export interface LockWaitSeen {
  readonly table?: string;
  readonly blockers: Blocker[];
}

export interface LockWatch {
  /** Open the second connection now, so the first slow attempt is seen from its start. */
  warm(): void;
  /** Watch `pid` until the returned stop() is called; stop() gives the blockers last seen (maybe none). */
  during(pid: number): () => SeenBlocker[];
  /** An attempt gave up with these blockers last seen: tell whoever listens (the apply's thread notice). */
  gaveUp(blockers: readonly SeenBlocker[]): void;
  /** The table the last slow attempt waited for, when seen. */
  readonly table: string | undefined;
  /** Whether any of these transactions is still open. */
  stillOpen(blockers: readonly SeenBlocker[]): Promise<boolean>;
  close(): Promise<void>;
}

export function lockWatch(
  databaseUrl: string,
  footprints: Footprints,
  onWait?: (w: LockWaitSeen) => void,
): LockWatch {
  let table: string | undefined;
  let opened: Promise<Awaited<ReturnType<typeof openTracked>> | undefined> | undefined;
  const client = async (): Promise<pg.Client | undefined> => {
    opened ??= openTracked(databaseUrl, footprints, { mark: true, connectionTimeoutMillis: 5000 }).catch(
      () => undefined,
    );
    return (await opened)?.client;
  };
  const pending = new Set<Promise<unknown>>();
  return {
    warm() {
      void client();
    },
    during(pid) {
      let last: SeenBlocker[] = [];
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let pause = FIRST_LOOK_MS;
      const look = async () => {
        const c = await client();
        if (!c || stopped) return;
        const query = c
          .query<SeenBlocker & { table: string | null }>(BLOCKERS_SQL, [pid])
          .catch(() => undefined);
        pending.add(query);
        const r = await query;
        pending.delete(query);
        if (r?.rows.length && !stopped) {
          last = r.rows.map(({ table: _, ...b }) => ({ ...b, transactionMs: Math.round(b.transactionMs) }));
          table = r.rows[0]!.table ?? table;
        }
        pause = next(pause);
        if (!stopped) timer = setTimeout(() => void look(), pause);
      };
      timer = setTimeout(() => void look(), FIRST_LOOK_MS);
      return () => {
        stopped = true;
        clearTimeout(timer);
        return last;
      };
    },
    gaveUp(blockers) {
      onWait?.({ table, blockers: blockers.map(({ xact: _, ...b }) => b) });
    },
    get table() {
      return table;
    },
    async stillOpen(blockers) {
      const c = await client();
      if (!c || !blockers.length) return false;
      const r = await c
        .query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity a
            where a.pid = any($1::int[]) and a.xact_start::text = any($2::text[])`,
          [blockers.map((b) => b.pid), blockers.map((b) => b.xact ?? '')],
        )
        .catch(() => undefined);
      return (r?.rows[0]?.n ?? 0) > 0;
    },
    async close() {
      // A look still running when the attempt ended must finish first: closing under it would leave a statement
      // PostgreSQL counted but the footprint did not (monitoring would see it as the application's).
      await Promise.all(pending);
      const t = await opened;
      await t?.end();
    },
  };
}
