/** Checkpoint rows: scheduled when a monitor step starts, claimed by one tick (checkpoint-claims.ts), read back. */
import { asc, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Judged, judgedSchema, type RawSample, rawSampleSchema } from '../deploy/monitoring.js';
import type { StepResults } from '../deploy/step-results.js';
import { parseStored } from '../deploy/stored.js';
import type { Tx } from './db.js';
import { checkpoints, slackMessages, steps } from './schema.js';
import { parseResults } from './step-results.js';

/** Checkpoints numbered from 1; extra ones taken on command are numbered from EXTRA. */
export const EXTRA = 100_000;

const judgedList = z.array(judgedSchema);
const where = (c: { runId: number; index: number; seq: number }, column: string) =>
  `run #${c.runId}, step ${c.index + 1}, checkpoint ${c.seq}, ${column}`;

/** A checkpoint's stored readings (absent until it is taken), parsed: a row that does not parse throws. */
export const storedJudged = (c: { runId: number; index: number; seq: number; judged: unknown }) =>
  c.judged == null ? undefined : parseStored(judgedList, c.judged, where(c, 'judged'));
const storedSample = (c: { runId: number; index: number; seq: number; sample: unknown }) =>
  c.sample == null ? undefined : parseStored(rawSampleSchema, c.sample, where(c, 'sample'));

/** A checkpoint row as the monitor reads it: its sample and readings parsed. */
export interface CheckpointReading {
  readonly id: number;
  readonly runId: number;
  readonly index: number;
  readonly seq: number;
  readonly status: string;
  readonly dueAt: Date;
  readonly takenAt: Date | null;
  readonly sample?: RawSample;
  readonly judged?: readonly Judged[];
}

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

/** What measuring a batch of runs' checkpoints needs, in three queries instead of several per run. */
export async function batchContext(db: Tx, runIds: readonly number[]) {
  const ids = [...runIds];
  const stepRows = await db
    .select({
      runId: steps.runId,
      index: steps.index,
      env: steps.env,
      service: steps.service,
      name: steps.name,
      result: steps.result,
    })
    .from(steps)
    .where(inArray(steps.runId, ids))
    .orderBy(asc(steps.runId), asc(steps.index));
  // Each run's step results, parsed by their steps' names (what a judgement builds on: baseline, touched tables).
  const results: ReadonlyMap<number, StepResults> = new Map(
    ids.map((id) => [
      id,
      parseResults(
        id,
        stepRows.filter((s) => s.runId === id),
      ),
    ]),
  );
  const rowsStored = await db
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
  const rows = rowsStored.map(
    (r): CheckpointReading => ({ ...r, sample: storedSample(r), judged: storedJudged(r) }),
  );
  const messages = await db
    .select({
      runId: slackMessages.runId,
      kind: slackMessages.kind,
      channel: slackMessages.channel,
      ts: slackMessages.ts,
    })
    .from(slackMessages)
    .where(inArray(slackMessages.runId, ids));
  return {
    stepRows: stepRows.map(({ runId, index, env, service, name }) => ({ runId, index, env, service, name })),
    results,
    rows,
    messages,
  };
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
