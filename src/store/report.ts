/** What a run report reads of monitoring: a run's checkpoints and the alerts they raised. */
import { asc, eq } from 'drizzle-orm';
import type { AlertRow, CheckpointRow } from '../deploy/report.js';
import { parseAlertRecord } from './alerts.js';
import { storedJudged } from './checkpoints.js';
import type { Tx } from './db.js';
import { alerts, checkpoints } from './schema.js';

export async function runCheckpoints(db: Tx, runId: number): Promise<CheckpointRow[]> {
  const rows = await db
    .select({
      runId: checkpoints.runId,
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
  return rows.map((r) => {
    const judged = storedJudged(r);
    return {
      index: r.index,
      seq: r.seq,
      status: r.status,
      dueAt: r.dueAt.toISOString(),
      ...(r.takenAt ? { takenAt: r.takenAt.toISOString() } : {}),
      ...(judged ? { judged } : {}),
    };
  });
}

export async function runAlerts(db: Tx, runId: number): Promise<AlertRow[]> {
  const rows = await db.select().from(alerts).where(eq(alerts.runId, runId)).orderBy(asc(alerts.id));
  return rows.map((r) => {
    const { judged } = parseAlertRecord(r.id, r.metrics);
    return {
      id: r.id,
      level: r.level,
      at: r.at.toISOString(),
      judged,
      ...(r.acknowledgedBy ? { acknowledgedBy: r.acknowledgedBy } : {}),
      ...(r.acknowledgedAt ? { acknowledgedAt: r.acknowledgedAt.toISOString() } : {}),
    };
  });
}
