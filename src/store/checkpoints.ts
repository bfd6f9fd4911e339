/** Checkpoint rows: scheduled when a monitor step starts, claimed by one tick (checkpoint-claims.ts), alerts. */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from './runs.js';
import { alerts, checkpoints, slackMessages, steps } from './schema.js';

/** Checkpoints numbered from 1; extra ones taken on command are numbered from EXTRA. */
export const EXTRA = 100_000;

export async function scheduleCheckpoints(
  db: Tx,
  runId: number,
  index: number,
  times: readonly string[],
): Promise<void> {
  if (!times.length) return;
  await db
    .insert(checkpoints)
    .values(times.map((t, i) => ({ runId, index, seq: i + 1, dueAt: new Date(t) })))
    .onConflictDoNothing();
}

/** Add a checkpoint taken on command; false when another one was added at the same instant (it is being taken). */
export async function addExtraCheckpoint(db: Tx, runId: number, index: number, at: Date): Promise<boolean> {
  const r = await db.execute(sql`insert into migration_gate_state.checkpoints (run_id, idx, seq, due_at)
    select ${runId}, ${index}, greatest(coalesce(max(seq), 0) + 1, ${EXTRA}), ${at.toISOString()}
    from migration_gate_state.checkpoints where run_id = ${runId} and idx = ${index} and seq >= ${EXTRA}
    on conflict (run_id, idx, seq) do nothing returning id`);
  return r.rows.length > 0;
}

export async function recordAlert(
  db: Tx,
  a: { runId: number; stepIndex: number; level: string; metrics: unknown; channel?: string; ts?: string },
): Promise<number> {
  const [row] = await db
    .insert(alerts)
    .values({
      runId: a.runId,
      stepIndex: a.stepIndex,
      level: a.level,
      metrics: a.metrics,
      channel: a.channel ?? null,
      ts: a.ts ?? null,
    })
    .returning({ id: alerts.id });
  return row!.id;
}

/** Where the alert was posted and what it said (so Acknowledge can redraw it without its buttons). */
export async function rememberAlertMessage(
  db: Tx,
  alertId: number,
  channel: string,
  ts: string,
  metrics: unknown,
): Promise<void> {
  await db.update(alerts).set({ channel, ts, metrics }).where(eq(alerts.id, alertId));
}

export async function acknowledge(db: Tx, alertId: number, user: string, at: Date) {
  const [row] = await db
    .update(alerts)
    .set({ acknowledgedBy: user, acknowledgedAt: at })
    .where(and(eq(alerts.id, alertId), sql`${alerts.acknowledgedBy} is null`))
    .returning();
  return row;
}

export async function findAlert(db: Tx, alertId: number) {
  const [row] = await db.select().from(alerts).where(eq(alerts.id, alertId)).orderBy(desc(alerts.id));
  return row;
}

/** What measuring a batch of runs' checkpoints needs, in three queries instead of several per run. */
export async function batchContext(db: Tx, runIds: readonly number[]) {
  const ids = [...runIds];
  const stepRows = await db
    .select({
      runId: steps.runId,
      index: steps.index,
      env: steps.env,
      name: steps.name,
      result: steps.result,
    })
    .from(steps)
    .where(inArray(steps.runId, ids));
  const rows = await db
    .select({
      id: checkpoints.id,
      runId: checkpoints.runId,
      index: checkpoints.index,
      seq: checkpoints.seq,
      status: checkpoints.status,
      dueAt: checkpoints.dueAt,
      takenAt: checkpoints.takenAt,
      sample: checkpoints.sample,
      judged: checkpoints.judged,
    })
    .from(checkpoints)
    .where(inArray(checkpoints.runId, ids))
    .orderBy(asc(checkpoints.dueAt), asc(checkpoints.seq));
  const messages = await db
    .select({
      runId: slackMessages.runId,
      kind: slackMessages.kind,
      channel: slackMessages.channel,
      ts: slackMessages.ts,
    })
    .from(slackMessages)
    .where(inArray(slackMessages.runId, ids));
  return { stepRows, rows, messages };
}

/** When the newest checkpoint taken on command for a run was due (they are limited to one a minute). */
export async function lastOnDemandAt(db: Tx, runId: number): Promise<Date | undefined> {
  const r = await db.execute<{
    at: string | null;
  }>(sql`select max(due_at) as at from migration_gate_state.checkpoints
    where run_id = ${runId} and seq >= ${EXTRA}`);
  const at = r.rows[0]?.at;
  return at ? new Date(at) : undefined;
}
