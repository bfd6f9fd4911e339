/**
 * Claiming due checkpoints: a tick marks what it takes (status `claimed`, its token, the store's time) in a short
 * transaction and commits, samples the targets with no transaction open, then stores the readings for the rows
 * that are still its own. Nothing here waits on the network, so nothing here holds a lock while a target is slow.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Judged, RawSample } from '../deploy/monitoring.js';
import type { Tx } from './db.js';

/** A claim older than this (by the store's clock) belongs to a tick that died: its rows are due again. */
export const CLAIM_STALE_SECONDS = 120;
/** How often a tick still sampling renews its claims (well within CLAIM_STALE_SECONDS). */
export const CLAIM_RENEW_MS = 30_000;

export interface DueCheckpoint {
  readonly id: number;
  readonly runId: number;
  readonly index: number;
  readonly seq: number;
  readonly dueAt: string;
}

const stale = sql.raw(`now() - interval '${CLAIM_STALE_SECONDS} seconds'`);
/** A checkpoint a tick may take: due and pending, or claimed by a tick that died. */
const claimable = (at: string) =>
  sql`c.due_at <= ${at} and (c.status = 'pending' or (c.status = 'claimed' and c.claimed_at < ${stale}))`;
/** A run one tick is sampling now: no other tick takes any of its checkpoints until that one is stored. */
const inFlight = (run: SQL) => sql`exists (select 1 from migration_gate_state.checkpoints f
  where f.run_id = ${run} and f.status = 'claimed' and f.claimed_at >= ${stale})`;

/**
 * Claim the due checkpoints of watching monitor steps, for up to `limitRuns` runs, each run's together (oldest
 * first), as `claimer`; the caller commits at once. Two locks, always in this order, and neither waits (SKIP
 * LOCKED), so a claim never joins a deadlock, and both last only this short transaction:
 * 1. The runs' rows, as a click takes them: two ticks never claim for the same run at once (a run a click holds
 *    is left for the next tick), and a run with a live claim is not taken (its readings arrive in order, so a
 *    judgement always sees the previous ones).
 * 2. Then, in a new statement, the checkpoint rows themselves. Its snapshot is taken after the run locks were
 *    granted, so it sees whatever a claimer that held them before committed, and FOR NO KEY UPDATE rechecks the
 *    row on its newest version. The first statement's snapshot can be stale: a run another tick claimed after it
 *    began still looks due there, gets locked, and comes back empty here.
 * Runs that came back empty do not count: the claim tops up with a fresh snapshot, so fewer than `limitRuns`
 * runs still means nothing more was there to take (the tick stops on a short batch).
 */
export async function claimDue(
  db: Tx,
  now: Date,
  limitRuns: number,
  claimer: string,
): Promise<DueCheckpoint[]> {
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
                    where c.run_id = r.id and ${claimable(at)} and s.status = 'watching')
        and not ${inFlight(sql.raw('r.id'))}
      order by r.id
      limit ${want}
      for update of r skip locked`);
    const ids = runRows.rows.map((x) => x.id);
    if (!ids.length) break;
    locked.push(...ids);
    const r = await db.execute<{ id: number; run_id: number; idx: number; seq: number; due_at: string }>(sql`
      select c.id, c.run_id, c.idx, c.seq, c.due_at from migration_gate_state.checkpoints c
      join migration_gate_state.steps s on s.run_id = c.run_id and s.idx = c.idx
      where c.run_id = any(${`{${ids.join(',')}}`}::int[]) and ${claimable(at)} and s.status = 'watching'
        and not ${inFlight(sql.raw('c.run_id'))}
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
  if (out.length)
    await db.execute(sql`update migration_gate_state.checkpoints
      set status = 'claimed', claimed_by = ${claimer}, claimed_at = now()
      where id = any(${`{${out.map((x) => x.id).join(',')}}`}::int[])`);
  return out;
}

/** A tick still sampling keeps its claims alive (one short statement; rows taken over are not touched). */
export async function renewClaims(db: Tx, claimer: string): Promise<void> {
  await db.execute(sql`update migration_gate_state.checkpoints set claimed_at = now()
    where status = 'claimed' and claimed_by = ${claimer}`);
}

/**
 * Store a batch's readings in one statement: done or missed, only on rows still claimed by `claimer` (a claim
 * another tick took over, its tick being thought dead, is left to that tick). Returns the rows stored, and whether
 * their monitor step is still watching (a run cancelled while it was sampled has nothing more to act on).
 */
export async function finishMany(
  db: Tx,
  updates: readonly { id: number; status: 'done' | 'missed'; sample?: RawSample; judged?: Judged[] }[],
  at: Date,
  claimer: string,
): Promise<{ id: number; watching: boolean }[]> {
  if (!updates.length) return [];
  const r = await db.execute<{ id: number; watching: boolean }>(sql`update migration_gate_state.checkpoints c
    set status = v.status, taken_at = ${at.toISOString()}, sample = v.sample, judged = v.judged
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as v(id int, status text, sample jsonb, judged jsonb)
    where c.id = v.id and c.status = 'claimed' and c.claimed_by = ${claimer}
    returning c.id, exists (select 1 from migration_gate_state.steps s
      where s.run_id = c.run_id and s.idx = c.idx and s.status = 'watching') as watching`);
  return r.rows.map((x) => ({ id: x.id, watching: x.watching }));
}
