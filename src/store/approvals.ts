/** Approvals recorded on a run's gates. */
import { and, asc, eq } from 'drizzle-orm';
import type { Approval, Decision as ApprovalDecision } from '../deploy/approvals.js';
import type { Tx } from './db.js';
import { approvals } from './schema.js';

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
