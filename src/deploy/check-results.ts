/** What a check gave, how a set of them is summed up, and which checks cannot run outside a run. Pure. */
import { z } from 'zod';
import type { Check } from './check-schema.js';
import { writes as httpWrites, requestText } from './http-check.js';
import { schemaOf } from './stored.js';

export interface CheckResult {
  readonly name: string;
  readonly kind: string;
  readonly severity: 'blocker' | 'warning';
  readonly source: string;
  /** skipped: the check cannot run here (rows_unchanged outside a run); `actual` says why. It never fails. */
  readonly status: 'pass' | 'fail' | 'error' | 'skipped';
  readonly target: string;
  readonly actual: string;
  readonly durationMs: number;
  /** A query error, as a sentence with the Postgres code. */
  readonly error?: string;
}

export interface CheckSummary {
  readonly passed: number;
  /** The checks that ran (skipped ones are not counted). */
  readonly total: number;
  readonly warnings: number;
  readonly blockersFailed: number;
  /** Checks that could not run here (absent from summaries stored before it existed). */
  readonly skipped?: number;
}

/** The shapes above as stored with a verify step's result (parsed when read back). */
export const checkResultSchema = schemaOf<CheckResult>()(
  z.object({
    name: z.string(),
    kind: z.string(),
    severity: z.enum(['blocker', 'warning']),
    source: z.string(),
    status: z.enum(['pass', 'fail', 'error', 'skipped']),
    target: z.string(),
    actual: z.string(),
    durationMs: z.number(),
    error: z.string().optional(),
  }),
);

export const checkSummarySchema = schemaOf<CheckSummary>()(
  z.object({
    passed: z.number(),
    total: z.number(),
    warnings: z.number(),
    blockersFailed: z.number(),
    skipped: z.number().optional(),
  }),
);

/** A check that ran and did not pass. */
export const failed = (r: CheckResult): boolean => r.status === 'fail' || r.status === 'error';

export function summarize(results: readonly CheckResult[]): CheckSummary {
  const skipped = results.filter((r) => r.status === 'skipped').length;
  return {
    passed: results.filter((r) => r.status === 'pass').length,
    total: results.length - skipped,
    warnings: results.filter((r) => failed(r) && r.severity === 'warning').length,
    blockersFailed: results.filter((r) => failed(r) && r.severity === 'blocker').length,
    skipped,
  };
}

const tables = (n: number) => `${n} table${n === 1 ? '' : 's'}`;

/**
 * Outside a run (on command, from the CLI) a check that needs what a run measured cannot run: rows_unchanged
 * compares with the row counts preflight takes. It is shown skipped, with why, and never fails.
 */
export function skippedOutsideRun(check: Check): CheckResult | undefined {
  const plan = check.plan;
  if (plan.kind !== 'rows_unchanged') return undefined;
  return skipped(
    check,
    `row counts of ${plan.tables === true ? 'every table' : tables(plan.tables.length)} unchanged`,
    'compares with the row counts a deploy takes first',
  );
}

/** A check shown as not run, with what it would have checked and why not. */
const skipped = (check: Check, target: string, why: string): CheckResult => ({
  name: check.name,
  kind: check.kind,
  severity: check.severity,
  source: check.source,
  status: 'skipped',
  target,
  actual: `skipped: ${why}`,
  durationMs: 0,
});

/**
 * On command (not as a run's verify step), a check that writes (writes: true, or a concurrent check whose calls
 * commit) runs only where the environment allows it (`onDemandWrites: true`); elsewhere it is shown skipped.
 */
export function skippedOnCommand(check: Check, env: string): CheckResult | undefined {
  const plan = check.plan;
  const writes =
    plan.kind === 'concurrent' ||
    (plan.kind === 'sql' && plan.writes) ||
    (plan.kind === 'http' && httpWrites(plan));
  if (!writes) return undefined;
  return skipped(
    check,
    plan.kind === 'concurrent'
      ? `${plan.times} concurrent calls`
      : plan.kind === 'http'
        ? requestText(plan)
        : 'a check that writes',
    `it writes, and ${env} does not allow writing checks on command (onDemandWrites in deploy.yml)`,
  );
}
