/** Checkpoint rows: scheduled when a monitor step starts, claimed by whichever scheduler gets there first. */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Judged, RawSample } from '../deploy/monitoring.js';
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

export async function addExtraCheckpoint(db: Tx, runId: number, index: number, at: Date): Promise<void> {
  await db.execute(sql`insert into migration_gate_state.checkpoints (run_id, idx, seq, due_at)
    select ${runId}, ${index}, greatest(coalesce(max(seq), 0) + 1, ${EXTRA}), ${at.toISOString()}
    from migration_gate_state.checkpoints where run_id = ${runId} and idx = ${index} and seq >= ${EXTRA}`);
}

export interface DueCheckpoint {
  readonly id: number;
  readonly runId: number;
  readonly index: number;
  readonly seq: number;
  readonly dueAt: string;
}

/**
 * Due checkpoints of watching monitor steps, for up to `limitRuns` runs, each run's together (oldest first).
 * Two locks, always in this order, and neither waits (SKIP LOCKED): a tick never joins a deadlock.
 * 1. The runs' rows, as a click takes them: two schedulers never take the same run, and a click on a run waits
 *    for this transaction (and a run a click holds is left for the next tick).
 * 2. Then, in a new statement, the checkpoint rows themselves. Its snapshot is taken after the run locks were
 *    granted, so it sees whatever a scheduler that held them before committed, and FOR NO KEY UPDATE rechecks
 *    `status = 'pending'` on the newest row version. The first statement's snapshot can be stale: a run another
 *    scheduler finished after it began still looks due there, gets locked, and comes back empty here.
 * Runs that came back empty do not count: the claim tops up with a fresh snapshot, so fewer than `limitRuns`
 * runs still means nothing more was there to take (the tick stops on a short batch).
 */
export async function claimDue(db: Tx, now: Date, limitRuns: number): Promise<DueCheckpoint[]> {
  const at = now.toISOString();
  const locked: number[] = [];
  const out: DueCheckpoint[] = [];
  let runsTaken = 0;
  while (runsTaken < limitRuns) {
    const want = limitRuns - runsTaken;
    const runRows = await db.execute<{ id: number }>(sql`
      select r.id from migration_gate_state.runs r
      where r.status = 'running' and r.id <> all(${`{${locked.join(',')}}`}::int[])
        and exists (select 1 from migration_gate_state.checkpoints c
                    join migration_gate_state.steps s on s.run_id = c.run_id and s.idx = c.idx
                    where c.run_id = r.id and c.status = 'pending' and c.due_at <= ${at} and s.status = 'watching')
      order by r.id
      limit ${want}
      for update of r skip locked`);
    const ids = runRows.rows.map((x) => x.id);
    if (!ids.length) break;
    locked.push(...ids);
    const r = await db.execute<{ id: number; run_id: number; idx: number; seq: number; due_at: string }>(sql`
      select c.id, c.run_id, c.idx, c.seq, c.due_at from migration_gate_state.checkpoints c
      join migration_gate_state.steps s on s.run_id = c.run_id and s.idx = c.idx
      where c.run_id = any(${`{${ids.join(',')}}`}::int[]) and c.status = 'pending' and c.due_at <= ${at}
        and s.status = 'watching'
      order by c.run_id, c.idx, c.due_at, c.seq
      for no key update of c skip locked`);
    for (const x of r.rows)
      out.push({
        id: x.id,
        runId: x.run_id,
        index: x.idx,
        seq: x.seq,
        dueAt: new Date(x.due_at).toISOString(),
      });
    runsTaken += new Set(r.rows.map((x) => x.run_id)).size;
    if (ids.length < want) break;
  }
  return out;
}

export async function recordAlert(
  db: Tx,
  a: { runId: number; level: string; metrics: unknown; channel?: string; ts?: string },
): Promise<number> {
  const [row] = await db
    .insert(alerts)
    .values({
      runId: a.runId,
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

/** Mark many checkpoints done or missed in one statement. */
export async function finishMany(
  db: Tx,
  updates: readonly { id: number; status: 'done' | 'missed'; sample?: RawSample; judged?: Judged[] }[],
  at: Date,
): Promise<void> {
  if (!updates.length) return;
  await db.execute(sql`update migration_gate_state.checkpoints c
    set status = v.status, taken_at = ${at.toISOString()}, sample = v.sample, judged = v.judged
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as v(id int, status text, sample jsonb, judged jsonb)
    where c.id = v.id`);
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
