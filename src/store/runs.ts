/** Runs and their steps: load, save with an optimistic version check, audit. */
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { parseAfterRef } from '../deploy/after-rules.js';
import type { Run, Step } from '../deploy/types.js';
import type { Tx } from './db.js';
import { auditEvents, environmentLocks, runs, steps } from './schema.js';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);
const date = (s: string | undefined) => (s ? new Date(s) : null);

export function toRun(row: typeof runs.$inferSelect, stepList: Step[]): Run {
  return {
    id: row.id,
    migration: row.migration,
    requestedBy: row.requestedBy,
    channel: row.channel,
    status: row.status as Run['status'],
    steps: stepList,
    checksums: row.checksums,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    finishedAt: iso(row.finishedAt),
    reason: row.reason ?? undefined,
    endedBy: row.endedBy ?? undefined,
  };
}

/** Load a run; `lock` takes its row lock until the transaction ends (serialises clicks on one run). */
const toStep = (s: typeof steps.$inferSelect): Step => ({
  env: s.env,
  name: s.name as Step['name'],
  status: s.status as Step['status'],
  startedAt: iso(s.startedAt),
  finishedAt: iso(s.finishedAt),
  durationMs: s.durationMs ?? undefined,
  summary: s.summary ?? undefined,
  expiresAt: iso(s.expiresAt),
  resumeAt: iso(s.resumeAt),
  ...(s.remindAt ? { remindAt: iso(s.remindAt), reminders: s.reminders } : {}),
  purpose: (s.purpose as Step['purpose']) ?? undefined,
  ...(s.after != null
    ? { after: parseAfterRef(s.after, `run #${s.runId}, step ${s.index + 1}, after`) }
    : {}),
  ...(s.stage != null ? { stage: s.stage } : {}),
  ...(s.service != null ? { service: s.service } : {}),
});

export async function loadRun(db: Tx, id: number, lock = false): Promise<Run | undefined> {
  const q = db.select().from(runs).where(eq(runs.id, id));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) return undefined;
  const stepRows = await db.select().from(steps).where(eq(steps.runId, id)).orderBy(asc(steps.index));
  return toRun(row, stepRows.map(toStep));
}

/** Several runs in two round trips (a monitoring batch reads every run it judges at once). */
export async function loadRuns(db: Tx, ids: readonly number[]): Promise<Map<number, Run>> {
  if (!ids.length) return new Map();
  const rows = await db
    .select()
    .from(runs)
    .where(inArray(runs.id, [...ids]));
  const stepRows = await db
    .select()
    .from(steps)
    .where(inArray(steps.runId, [...ids]))
    .orderBy(asc(steps.runId), asc(steps.index));
  const byRun = new Map<number, Step[]>();
  for (const st of stepRows) byRun.set(st.runId, [...(byRun.get(st.runId) ?? []), toStep(st)]);
  return new Map(rows.map((r) => [r.id, toRun(r, byRun.get(r.id) ?? [])] as const));
}

/** Save `next` if the stored run is still at `expectedVersion`; false when someone else saved first. */
export async function saveRun(db: Tx, next: Run, expectedVersion: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const updated = await tx
      .update(runs)
      .set({
        status: next.status,
        reason: next.reason ?? null,
        endedBy: next.endedBy ?? null,
        version: next.version,
        finishedAt: date(next.finishedAt),
      })
      .where(and(eq(runs.id, next.id), eq(runs.version, expectedVersion)))
      .returning({ id: runs.id });
    if (updated.length === 0) return false;
    for (const [index, s] of next.steps.entries()) {
      const values = {
        env: s.env,
        name: s.name,
        status: s.status,
        purpose: s.purpose ?? null,
        startedAt: date(s.startedAt),
        finishedAt: date(s.finishedAt),
        durationMs: s.durationMs ?? null,
        summary: s.summary ?? null,
        expiresAt: date(s.expiresAt),
        resumeAt: date(s.resumeAt),
        remindAt: date(s.remindAt),
        reminders: s.reminders ?? 0,
        after: s.after ?? null,
        stage: s.stage ?? null,
        service: s.service ?? null,
      };
      // A rollback adds steps: insert what is new, update the rest.
      await tx
        .insert(steps)
        .values({ runId: next.id, index, ...values })
        .onConflictDoUpdate({ target: [steps.runId, steps.index], set: values });
    }
    if (next.status !== 'running')
      await tx.delete(environmentLocks).where(eq(environmentLocks.runId, next.id));
    return true;
  });
}

export async function recentRuns(db: Tx, limit = 10): Promise<Run[]> {
  const rows = await db.select({ id: runs.id }).from(runs).orderBy(desc(runs.id)).limit(limit);
  const out: Run[] = [];
  for (const r of rows) {
    const run = await loadRun(db, r.id);
    if (run) out.push(run);
  }
  return out;
}

/** Running runs that are working (a step running) or never began (every step pending): what recovery looks at. */
export async function workingRunIds(db: Tx): Promise<number[]> {
  const r = await db.execute<{ id: number }>(sql`
    select r.id from migration_gate_state.runs r
    where r.status = 'running'
      and (exists (select 1 from migration_gate_state.steps s where s.run_id = r.id and s.status = 'running')
        or not exists (select 1 from migration_gate_state.steps s where s.run_id = r.id and s.status <> 'pending'))
    order by r.id`);
  return r.rows.map((x) => x.id);
}

export async function audit(
  db: Tx,
  event: { actor: string; action: string; runId?: number; detail?: unknown },
): Promise<void> {
  await db.insert(auditEvents).values({
    actor: event.actor,
    action: event.action,
    runId: event.runId ?? null,
    detail: event.detail ?? null,
  });
}
