/** What a run report reads of monitoring: a run's checkpoints and the alerts they raised. */
import { asc, eq } from 'drizzle-orm';
import type { Judged } from '../deploy/monitoring.js';
import type { AlertRow, CheckpointRow } from '../deploy/report.js';
import type { Tx } from './runs.js';
import { alerts, checkpoints } from './schema.js';

export async function runCheckpoints(db: Tx, runId: number): Promise<CheckpointRow[]> {
  const rows = await db
    .select({
      index: checkpoints.index,
      seq: checkpoints.seq,
      status: checkpoints.status,
      dueAt: checkpoints.dueAt,
      takenAt: checkpoints.takenAt,
      judged: checkpoints.judged,
    })
    .from(checkpoints)
    .where(eq(checkpoints.runId, runId))
    .orderBy(asc(checkpoints.index), asc(checkpoints.dueAt), asc(checkpoints.seq));
  return rows.map((r) => ({
    index: r.index,
    seq: r.seq,
    status: r.status,
    dueAt: r.dueAt.toISOString(),
    ...(r.takenAt ? { takenAt: r.takenAt.toISOString() } : {}),
    ...(Array.isArray(r.judged) ? { judged: r.judged as Judged[] } : {}),
  }));
}

export async function runAlerts(db: Tx, runId: number): Promise<AlertRow[]> {
  const rows = await db.select().from(alerts).where(eq(alerts.runId, runId)).orderBy(asc(alerts.id));
  return rows.map((r) => {
    // Stored as the checkpoint's judged readings, or { judged, message } once the alert was posted.
    const m = r.metrics as Judged[] | { judged?: Judged[] };
    return {
      id: r.id,
      level: r.level,
      at: r.at.toISOString(),
      judged: Array.isArray(m) ? m : (m.judged ?? []),
      ...(r.acknowledgedBy ? { acknowledgedBy: r.acknowledgedBy } : {}),
      ...(r.acknowledgedAt ? { acknowledgedAt: r.acknowledgedAt.toISOString() } : {}),
    };
  });
}
