import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { Approval, Decision as ApprovalDecision } from '../deploy/approvals.js';
import type { Run, Step } from '../deploy/types.js';
import type { Db } from './db.js';
import { approvals, auditEvents, environmentLocks, runs, slackMessages, steps } from './schema.js';

/** The store's functions work on the pool or inside a transaction. */
export type Tx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

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
export async function loadRun(db: Tx, id: number, lock = false): Promise<Run | undefined> {
  const q = db.select().from(runs).where(eq(runs.id, id));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) return undefined;
  const stepRows = await db.select().from(steps).where(eq(steps.runId, id)).orderBy(asc(steps.index));
  return toRun(
    row,
    stepRows.map((s) => ({
      env: s.env,
      name: s.name as Step['name'],
      status: s.status as Step['status'],
      startedAt: iso(s.startedAt),
      finishedAt: iso(s.finishedAt),
      durationMs: s.durationMs ?? undefined,
      summary: s.summary ?? undefined,
      expiresAt: iso(s.expiresAt),
      resumeAt: iso(s.resumeAt),
      purpose: (s.purpose as Step['purpose']) ?? undefined,
    })),
  );
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

export async function saveStepResult(db: Tx, runId: number, index: number, result: unknown): Promise<void> {
  await db
    .update(steps)
    .set({ result })
    .where(and(eq(steps.runId, runId), eq(steps.index, index)));
}

export async function loadStepResults(db: Tx, runId: number): Promise<Map<number, unknown>> {
  const rows = await db
    .select({ index: steps.index, result: steps.result })
    .from(steps)
    .where(eq(steps.runId, runId));
  return new Map(rows.filter((r) => r.result != null).map((r) => [r.index, r.result]));
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

export async function rememberMessage(
  db: Tx,
  runId: number,
  kind: string,
  channel: string,
  ts: string,
): Promise<void> {
  await db
    .insert(slackMessages)
    .values({ runId, kind, channel, ts })
    .onConflictDoUpdate({ target: [slackMessages.runId, slackMessages.kind], set: { channel, ts } });
}

export async function findMessage(
  db: Tx,
  runId: number,
  kind: string,
): Promise<{ channel: string; ts: string } | undefined> {
  const [row] = await db
    .select({ channel: slackMessages.channel, ts: slackMessages.ts })
    .from(slackMessages)
    .where(and(eq(slackMessages.runId, runId), eq(slackMessages.kind, kind)));
  return row;
}

export async function loadApprovals(db: Tx, runId: number, index: number): Promise<Approval[]> {
  const rows = await db
    .select()
    .from(approvals)
    .where(and(eq(approvals.runId, runId), eq(approvals.index, index)))
    .orderBy(asc(approvals.id));
  return rows.map((r) => ({
    user: r.user,
    decision: r.decision as ApprovalDecision,
    reason: r.reason ?? undefined,
    at: r.at.toISOString(),
  }));
}

export async function allApprovals(db: Tx, runId: number): Promise<(Approval & { index: number })[]> {
  const rows = await db.select().from(approvals).where(eq(approvals.runId, runId)).orderBy(asc(approvals.id));
  return rows.map((r) => ({
    index: r.index,
    user: r.user,
    decision: r.decision as ApprovalDecision,
    reason: r.reason ?? undefined,
    at: r.at.toISOString(),
  }));
}

export async function recordApproval(
  db: Tx,
  a: {
    runId: number;
    index: number;
    user: string;
    decision: ApprovalDecision;
    reason?: string;
    digest: string;
    at: string;
  },
): Promise<void> {
  await db.insert(approvals).values({
    runId: a.runId,
    index: a.index,
    user: a.user,
    decision: a.decision,
    reason: a.reason ?? null,
    checksumsDigest: a.digest,
    at: new Date(a.at),
  });
}

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

export async function scheduleReminder(
  db: Tx,
  runId: number,
  index: number,
  at: Date | null,
  reminders?: number,
) {
  await db
    .update(steps)
    .set({ remindAt: at, ...(reminders !== undefined ? { reminders } : {}) })
    .where(and(eq(steps.runId, runId), eq(steps.index, index)));
}
