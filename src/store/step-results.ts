/** What each step measured, stored with it as jsonb and parsed by its step's schema when read back. */
import { and, asc, eq } from 'drizzle-orm';
import { parseStepResult, type StepResults, whereResult } from '../deploy/step-results.js';
import type { Tx } from './db.js';
import { steps } from './schema.js';

export async function saveStepResult(db: Tx, runId: number, index: number, result: unknown): Promise<void> {
  await db
    .update(steps)
    .set({ result })
    .where(and(eq(steps.runId, runId), eq(steps.index, index)));
}

/**
 * A run's step results by step index, each parsed by its step's name: a stored value that does not have its
 * step's shape throws a StoredShapeError naming the run, the step and what does not parse.
 */
export async function loadStepResults(db: Tx, runId: number): Promise<StepResults> {
  const rows = await db
    .select({
      index: steps.index,
      env: steps.env,
      service: steps.service,
      name: steps.name,
      result: steps.result,
    })
    .from(steps)
    .where(eq(steps.runId, runId))
    .orderBy(asc(steps.index));
  return parseResults(runId, rows);
}

/** Parse one run's step rows into its results by step index (rows with no result are left out). */
export function parseResults(
  runId: number,
  rows: readonly { index: number; env: string; service?: string | null; name: string; result: unknown }[],
): StepResults {
  return new Map(
    rows
      .filter((r) => r.result != null)
      .map((r) => [r.index, parseStepResult(whereResult(runId, r.index, r), r, r.result)]),
  );
}
