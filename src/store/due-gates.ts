/** Approval gates whose time has come (window opened, expired, reminder due), and their reminders. */
import { sql } from 'drizzle-orm';
import type { Tx } from './db.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

/** Gates whose time has come (window opened, expired, reminder due), claimed so two replicas never both act. */
export async function claimDueGates(
  db: Tx,
  now: Date,
): Promise<
  {
    runId: number;
    index: number;
    status: string;
    expiresAt?: string;
    resumeAt?: string;
    remindAt?: string;
    reminders: number;
  }[]
> {
  // Lock the runs' rows (as a click does), not the steps': one lock order, no deadlock with clicks.
  // Raw SQL: drizzle writes "FOR UPDATE OF schema.table", which PostgreSQL rejects.
  const t = now.toISOString();
  const result = await db.execute<{
    run_id: number;
    idx: number;
    status: string;
    expires_at: string | null;
    resume_at: string | null;
    remind_at: string | null;
    reminders: number;
  }>(sql`
    select s.run_id, s.idx, s.status, s.expires_at, s.resume_at, s.remind_at, s.reminders
    from migration_gate_state.steps s join migration_gate_state.runs r on r.id = s.run_id
    where r.status = 'running' and s.name = 'approval' and s.status in ('waiting', 'scheduled')
      and (s.expires_at <= ${t} or s.resume_at <= ${t} or s.remind_at <= ${t})
    order by s.run_id
    for update of r skip locked`);
  const rows = result.rows.map((r) => ({
    runId: r.run_id,
    index: r.idx,
    status: r.status,
    expiresAt: r.expires_at ? new Date(r.expires_at) : null,
    resumeAt: r.resume_at ? new Date(r.resume_at) : null,
    remindAt: r.remind_at ? new Date(r.remind_at) : null,
    reminders: r.reminders,
  }));
  return rows.map((r) => ({
    runId: r.runId,
    index: r.index,
    status: r.status,
    expiresAt: iso(r.expiresAt),
    resumeAt: iso(r.resumeAt),
    remindAt: iso(r.remindAt),
    reminders: r.reminders,
  }));
}
