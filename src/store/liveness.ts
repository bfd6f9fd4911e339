/**
 * Which process owns a run: the one whose database session holds the run's advisory lock. The lock is held on one
 * session per process for as long as it works on a run (a step, or starting it); PostgreSQL drops it the moment
 * that process is gone (its connection closes; keepalives end a dead peer's session), so another replica, or the
 * same bot started again, recovers only runs nobody holds.
 */
import type pg from 'pg';

/** Key 1 of each run's advisory lock ('mR'); key 2 is the run id. */
const RUN_LOCK = 0x6d52;
const WAIT_MS = 30_000;

export interface Liveness {
  /** Do `work` as run `runId`'s owner (waits while another process owns it; reentrant in this process). */
  hold<T>(runId: number, work: () => Promise<T>): Promise<T>;
  /** When no live process owns run `runId`: do `work` owning it and return its result; else undefined. */
  ifOrphaned<T>(runId: number, work: () => Promise<T>): Promise<T | undefined>;
}

export function liveness(pool: pg.Pool): Liveness {
  let session: Promise<pg.PoolClient> | undefined;
  let held = 0;
  let chain: Promise<unknown> = Promise.resolve();
  /** One operation at a time on the session, so `held` and the session agree. */
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const p = chain.then(op);
    chain = p.catch(() => {});
    return p;
  };

  const open = () =>
    (session ??= pool.connect().then(async (c) => {
      c.on('error', () => {}); // the locks go with the session; the run's result is then refused by its version
      await c.query(
        "select set_config('tcp_keepalives_idle', '10', false), set_config('tcp_keepalives_interval', '5', false), set_config('tcp_keepalives_count', '3', false)",
      );
      return c;
    }));

  /** Give the session back when it holds nothing (a stopping bot's pool can then end). */
  const close = (c: pg.PoolClient, broken?: Error) => {
    held = 0;
    session = undefined;
    c.release(broken);
  };

  const tryLock = (runId: number) =>
    serial(async () => {
      const c = await open();
      try {
        const r = await c.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [
          RUN_LOCK,
          runId,
        ]);
        if (r.rows[0]!.ok) held++;
        else if (held === 0) close(c);
        return r.rows[0]!.ok;
      } catch (e) {
        close(c, e as Error);
        throw e;
      }
    });

  const unlock = (runId: number) =>
    serial(async () => {
      const c = await open();
      try {
        await c.query('select pg_advisory_unlock($1, $2)', [RUN_LOCK, runId]);
        if (--held <= 0) close(c);
      } catch (e) {
        close(c, e as Error);
      }
    });

  return {
    async hold(runId, work) {
      const until = Date.now() + WAIT_MS;
      while (!(await tryLock(runId))) {
        if (Date.now() > until) throw new Error(`run #${runId} is owned by another process`);
        await new Promise((r) => setTimeout(r, 100));
      }
      try {
        return await work();
      } finally {
        await unlock(runId);
      }
    },
    async ifOrphaned(runId, work) {
      const c = await pool.connect();
      try {
        const r = await c.query<{ ok: boolean }>('select pg_try_advisory_lock($1, $2) as ok', [
          RUN_LOCK,
          runId,
        ]);
        if (!r.rows[0]!.ok) return undefined;
        try {
          return await work();
        } finally {
          await c.query('select pg_advisory_unlock($1, $2)', [RUN_LOCK, runId]);
        }
      } finally {
        c.release();
      }
    },
  };
}
