/**
 * How a run starts in the store: an id first (the card is posted with it before anything is held), then the run
 * row, its steps and its environments in one transaction.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Run, Step } from '../deploy/types.js';
import type { Db, Tx } from './db.js';
import { toRun } from './runs.js';
import { environmentLocks, runs, steps } from './schema.js';

export interface Holder {
  readonly runId: number;
  readonly env: string;
  readonly requestedBy: string;
  readonly since: string;
}

class EnvironmentBusy extends Error {
  constructor(readonly holder: Holder) {
    super('environment busy');
  }
}

export type CreateRunResult = { ok: true; run: Run } | { ok: false; holder: Holder };

/** A run id of its own, taken from the runs' sequence: nothing is written or held yet. */
export async function reserveRunId(db: Tx): Promise<number> {
  const r = await db.execute<{ id: number }>(
    sql`select nextval(pg_get_serial_sequence('migration_gate_state.runs', 'id'))::int as id`,
  );
  return r.rows[0]!.id;
}

/** The run holding one of `envs` now, if any (a check before posting a card; createRun decides for good). */
export async function holderOf(db: Tx, envs: readonly string[], except = -1): Promise<Holder | undefined> {
  const [holder] = await db
    .select({
      runId: runs.id,
      env: environmentLocks.env,
      requestedBy: runs.requestedBy,
      since: runs.createdAt,
    })
    .from(environmentLocks)
    .innerJoin(runs, eq(runs.id, environmentLocks.runId))
    .where(and(inArray(environmentLocks.env, [...envs]), sql`${environmentLocks.runId} <> ${except}`))
    .limit(1);
  return holder && { ...holder, since: holder.since.toISOString() };
}

/** Create run `id` and take its environments, or say which run holds one of them. One transaction. */
export async function createRun(
  db: Db,
  input: {
    id: number;
    migration: string;
    requestedBy: string;
    channel: string;
    steps: Step[];
    checksums: Record<string, string>;
  },
): Promise<CreateRunResult> {
  const envs = [...new Set(input.steps.map((s) => s.env))];
  // A holder can release its lock between our insert and our look at who holds it: then simply try again.
  for (let attempt = 1; ; attempt++) {
    const r = await attemptCreate(db, input, envs);
    if (r !== 'released' || attempt === 3) return r === 'released' ? createFailedBusy() : r;
  }
}

const createFailedBusy = (): never => {
  throw new Error('the environments kept changing hands while this run started; try again');
};

async function attemptCreate(
  db: Db,
  input: Parameters<typeof createRun>[1],
  envs: string[],
): Promise<CreateRunResult | 'released'> {
  return db
    .transaction(async (tx) => {
      const [row] = await tx
        .insert(runs)
        .values({
          id: input.id,
          migration: input.migration,
          requestedBy: input.requestedBy,
          channel: input.channel,
          status: 'running',
          checksums: input.checksums,
        })
        .returning();
      const taken = await tx
        .insert(environmentLocks)
        .values(envs.map((env) => ({ env, runId: row!.id })))
        .onConflictDoNothing()
        .returning();
      // Throwing rolls the new run back; the catch below turns it into an answer.
      if (taken.length < envs.length) {
        const holder = await holderOf(tx, envs, row!.id);
        throw holder ? new EnvironmentBusy(holder) : new Released();
      }
      await tx.insert(steps).values(
        input.steps.map((s, index) => ({
          runId: row!.id,
          index,
          env: s.env,
          name: s.name,
          status: s.status,
          // An after: action's steps are planned with the run (docs/after.md).
          purpose: s.purpose ?? null,
          after: s.after ?? null,
          stage: s.stage ?? null,
          service: s.service ?? null,
        })),
      );
      return { ok: true as const, run: toRun(row!, input.steps) };
    })
    .catch((e: unknown): CreateRunResult | 'released' => {
      if (e instanceof EnvironmentBusy) return { ok: false, holder: e.holder };
      if (e instanceof Released) return 'released';
      throw e;
    });
}

class Released extends Error {}
