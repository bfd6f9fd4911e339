/**
 * Two schedulers claiming due checkpoints at once: every due checkpoint is taken by exactly one of them, none is
 * lost, and a run whose row a click holds is left alone; a claim whose tick died is taken again after a while.
 * Two stores (two pools), the real claim, real PostgreSQL.
 */

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_STALE_SECONDS, claimDue, finishMany } from '../../src/store/checkpoint-claims.js';
import { openStore, type Store } from '../../src/store/db.js';
import { createTestDatabase } from '../support/pg.js';

const NOW = new Date('2030-01-01T12:00:00Z');
const RUNS = 60;
/** Runs per claim: small, so each round is many short transactions committing while the other claims. */
const LIMIT = 4;
const ROUNDS = 300;

let a: Store;
let b: Store;

beforeAll(async () => {
  const url = await createTestDatabase('mg_claim');
  a = await openStore(url);
  b = await openStore(url);
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

/**
 * A fresh set of runs (the previous round's are deleted): each has a checkpoint due and one not yet due; every
 * third has two due (one was missed); the last run's step is no longer watching. Returns the run ids in order
 * and the checkpoint ids that must be taken.
 */
async function seed(): Promise<{ runIds: number[]; due: number[] }> {
  const t = (min: number) => new Date(NOW.getTime() + min * 60_000).toISOString();
  await a.pool.query('delete from migration_gate_state.runs');
  const inserted = await a.pool.query<{ id: number }>(
    `insert into migration_gate_state.runs (migration, requested_by, channel, status)
     select '001_x', 'UTEST', 'CTEST', 'running' from generate_series(1, ${RUNS}) returning id`,
  );
  const runIds = inserted.rows.map((r) => r.id).sort((x, y) => x - y);
  const last = runIds.at(-1)!;
  await a.pool.query(
    `insert into migration_gate_state.steps (run_id, idx, env, name, status, started_at)
     select id, 0, 'staging', 'monitor', case when id = $2 then 'done' else 'watching' end, $1
     from unnest($3::int[]) id`,
    [t(-10), last, runIds],
  );
  const due = await a.pool.query<{ id: number; due_at: Date; run_id: number }>(
    `insert into migration_gate_state.checkpoints (run_id, idx, seq, due_at)
     select id, 0, 1, $1::timestamptz from unnest($4::int[]) with ordinality u(id, n) where n % 3 = 0
     union all select id, 0, 2, $2::timestamptz from unnest($4::int[]) id
     union all select id, 0, 3, $3::timestamptz from unnest($4::int[]) id
     returning id, due_at, run_id`,
    [t(-2), t(-1), t(1), runIds],
  );
  return {
    runIds,
    due: due.rows
      .filter((r) => r.due_at <= NOW && r.run_id !== last)
      .map((r) => r.id)
      .sort((x, y) => x - y),
  };
}

/**
 * What a scheduler's tick does with the store: claim a batch and commit, then (where the sampling would be) store
 * it as done, counting only the rows it still held; stop on a short batch.
 */
async function claimer(store: Store): Promise<number[]> {
  const taken: number[] = [];
  for (;;) {
    const me = randomUUID();
    const due = await store.db.transaction((tx) => claimDue(tx, NOW, LIMIT, me));
    const stored = await finishMany(
      store.db,
      due.map((x) => ({ id: x.id, status: 'done' as const })),
      NOW,
      me,
    );
    taken.push(...stored.map((d) => d.id));
    if (new Set(due.map((d) => d.runId)).size < LIMIT) return taken;
  }
}

describe('claiming due checkpoints', () => {
  it(`two claimers racing ${ROUNDS} times never take a checkpoint twice and lose none`, async () => {
    const failures: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const { due: expected } = await seed();
      const [x, y] = await Promise.all([claimer(a), claimer(b)]);
      const all = [...x, ...y];
      const twice = [...new Set(all.filter((id, i) => all.indexOf(id) !== i))];
      const lost = expected.filter((id) => !all.includes(id));
      const extra = all.filter((id) => !expected.includes(id));
      if (twice.length || lost.length || extra.length)
        failures.push(`round ${round}: taken twice [${twice}], lost [${lost}], not due [${extra}]`);
    }
    expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
  }, 180_000);

  it('takes all of a run’s due checkpoints together, oldest first, and skips a run a click holds', async () => {
    const { runIds } = await seed();
    const [held, twoDue] = [runIds[0]!, runIds[2]!];
    const click = await b.pool.connect();
    try {
      await click.query('begin');
      await click.query('select id from migration_gate_state.runs where id = $1 for update', [held]);
      const due = await a.db.transaction((tx) => claimDue(tx, NOW, RUNS, 'tick-a'));
      expect(due.some((d) => d.runId === held)).toBe(false);
      const two = due.filter((d) => d.runId === twoDue).map((d) => d.seq);
      expect(two).toEqual([1, 2]);
      expect(new Set(due.map((d) => d.runId)).size).toBe(RUNS - 2);
    } finally {
      await click.query('rollback');
      click.release();
    }
  });

  it('a run being sampled is not taken again; a claim whose tick died is, after a while, and the dead tick stores nothing', async () => {
    const { runIds, due: expected } = await seed();
    const first = await a.db.transaction((tx) => claimDue(tx, NOW, RUNS, 'tick-dead'));
    expect(first.map((d) => d.id).sort((x, y) => x - y)).toEqual(expected);
    // committed and still fresh: another tick finds nothing to take
    expect(await b.db.transaction((tx) => claimDue(tx, NOW, RUNS, 'tick-b'))).toEqual([]);
    // the first tick died: its claims age past the limit (the store's clock) and another tick takes them all
    await a.pool.query(
      `update migration_gate_state.checkpoints set claimed_at = now() - interval '${CLAIM_STALE_SECONDS + 1} seconds'
       where claimed_by = 'tick-dead' and run_id <> $1`,
      [runIds[0]],
    );
    const again = await b.db.transaction((tx) => claimDue(tx, NOW, RUNS, 'tick-b'));
    const held = first.filter((d) => d.runId === runIds[0]).map((d) => d.id);
    expect(again.map((d) => d.id).sort((x, y) => x - y)).toEqual(expected.filter((id) => !held.includes(id)));
    // the dead tick's late readings are dropped except where its claim was still fresh; the new tick's are stored
    const done = (ds: typeof first) => ds.map((x) => ({ id: x.id, status: 'done' as const }));
    const late = await finishMany(a.db, done(first), NOW, 'tick-dead');
    expect(late.map((x) => x.id).sort((x, y) => x - y)).toEqual(held);
    const stored = await finishMany(b.db, done(again), NOW, 'tick-b');
    expect(stored).toHaveLength(again.length);
    expect(stored.every((x) => x.watching)).toBe(true);
    const left = await a.pool.query(
      `select count(*)::int as n from migration_gate_state.checkpoints where status = 'claimed'`,
    );
    expect(left.rows[0].n).toBe(0);
  });
});
