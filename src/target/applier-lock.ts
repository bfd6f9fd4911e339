/** The applier lock: one applier at a time per target database (a session-level advisory lock). */
import type pg from 'pg';

const LOCK_KEY = [0x6d67, 1] as const; // 'mg', 1: one applier per target database

/** Hold the per-target applier lock for `fn`, or say who holds it. */
export async function withAdvisoryLock<T>(
  client: pg.ClientBase,
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  const got = await client.query('select pg_try_advisory_lock($1, $2) as ok', [...LOCK_KEY]);
  if (!got.rows[0]?.ok) {
    const holder = await client.query(
      `select a.pid, a.application_name, a.backend_start from pg_locks l join pg_stat_activity a on a.pid = l.pid
       where l.locktype = 'advisory' and l.classid = $1 and l.objid = $2 and l.granted limit 1`,
      [...LOCK_KEY],
    );
    const h = holder.rows[0];
    return {
      ok: false,
      message: `Another applier holds the migration lock on this database${h ? ` (pid ${h.pid}, application "${h.application_name}")` : ''}. Wait for it to finish, then run again.`,
    };
  }
  try {
    return { ok: true, value: await fn() };
  } finally {
    await client.query('select pg_advisory_unlock($1, $2)', [...LOCK_KEY]).catch(() => {});
  }
}
