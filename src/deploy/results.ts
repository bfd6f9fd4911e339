/** What each step measured: stored with the step, rendered in the thread and the report. Pure data. */
import { z } from 'zod';
import { type AppliedFile, appliedFile, failedFile, type PgErrorView, pgErrorView } from './applied-files.js';
import {
  type CheckResult,
  type CheckSummary,
  checkResultSchema,
  checkSummarySchema,
} from './check-results.js';
import type { NotableChanges, SnapshotCounts } from './diff.js';
import { type Drift, driftSchema } from './ledger.js';
import { type LintReport, lintReportSchema } from './lint.js';
import { type RelationSize, relationSizeSchema } from './lock-trace.js';
import { type RawSample, rawSampleSchema } from './monitoring.js';
import { schemaOf } from './stored.js';

export type { AppliedFile, PgErrorView };

export interface PreflightResult {
  readonly env: string;
  readonly ok: boolean;
  readonly connectMs?: number;
  readonly serverVersion?: string;
  readonly pending: {
    id: string;
    file?: string;
    checksum: string;
    statements: number;
    outsideTransaction?: string;
  }[];
  /** The folder's layout and how it was chosen (`prisma (detected: …)`). */
  readonly layout?: string;
  readonly alreadyApplied: boolean;
  readonly drift: Drift[];
  readonly unknown: string[];
  readonly outOfOrder: string[];
  readonly counts?: SnapshotCounts;
  /** Why preflight failed, as a sentence (connection refused, parse error with line:column, drift …). */
  readonly problem?: string;
  readonly parseError?: PgErrorView;
  /** The monitoring metrics read before apply: the baseline for relative lines and the first deltas. */
  readonly metricsBaseline?: RawSample;
  /** Exact row counts of the tables that rows_unchanged checks name, taken before apply. */
  readonly rowCounts?: Record<string, number>;
  /** How many checks will run in verify. */
  readonly checks?: number;
  /** Where the applied files were recorded, when another tool's ledger is on the target ("21 by Prisma"). */
  readonly recordedBy?: { by: string; count: number }[];
  /** What lint found in the pending files (docs/lint.md); absent when nothing is pending. */
  readonly lint?: LintReport;
  /** Sizes here of the tables an earlier environment's lock trace names (for the approval card). */
  readonly relationSizes?: RelationSize[];
}

export interface ApplyResult {
  readonly env: string;
  readonly ok: boolean;
  readonly files: AppliedFile[];
  readonly failure?: AppliedFile & { error: PgErrorView; statementsKept: number };
  readonly diffSummary?: string;
  readonly countsSummary?: string;
  /** Names of what was added / removed / changed, by kind, capped for display. */
  readonly changes?: NotableChanges[];
  /** After a failure: true when the catalog after equals the catalog before. */
  readonly catalogUnchanged?: boolean;
  readonly problem?: string;
  readonly drift?: Drift[];
  /** Tables the files created or changed (their sequential scans are watched). */
  readonly touchedTables?: string[];
  /** The catalog just before the first file ran: what a rollback must return to. */
  readonly catalogBefore?: { digest: string; counts: SnapshotCounts };
}

export interface VerifyResult {
  readonly env: string;
  readonly ok: boolean;
  readonly results: CheckResult[];
  readonly summary: CheckSummary;
  readonly durationMs: number;
  readonly problem?: string;
  /** Checked outside a run (on command, from the CLI): there is no run to hold or roll back. */
  readonly outsideRun?: boolean;
}

export interface RollbackResult {
  readonly env: string;
  readonly ok: boolean;
  readonly files: AppliedFile[];
  readonly failure?: AppliedFile & { error: PgErrorView; statementsKept: number };
  /** True when the catalog after the rollback equals the catalog before apply. */
  readonly catalogRestored?: boolean;
  readonly countsSummary?: string;
  /** Files this run applied that stay applied (no down file), and the sentence that says so. */
  readonly kept?: string[];
  readonly note?: string;
  readonly problem?: string;
}

/** What a step's work returns: whether it passed, its one-line summary, why not, and what it measured. */
export interface StepOutcome<R> {
  readonly ok: boolean;
  readonly summary: string;
  readonly reason?: string;
  readonly result: R;
}

/*
 * The shapes above as they are stored with each step (steps.result), parsed when read back (step-results.ts).
 * Each schema must give exactly its interface (schemaOf), so adding a field to one without the other does not
 * compile. SnapshotCounts and NotableChanges are described here, not in diff.ts, which is long enough.
 */

const snapshotCounts = schemaOf<SnapshotCounts>()(
  z.object({
    tables: z.number(),
    foreignKeys: z.number(),
    indexes: z.number(),
    functions: z.number(),
    policies: z.number(),
    checkConstraints: z.number(),
    triggers: z.number(),
    extensions: z.number(),
    sizeBytes: z.number(),
  }),
);

const notableChanges = schemaOf<NotableChanges>()(
  z.object({
    what: z.string(),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    changed: z.array(z.string()),
  }),
);

export const preflightResultSchema = schemaOf<PreflightResult>()(
  z.object({
    env: z.string(),
    ok: z.boolean(),
    layout: z.string().optional(),
    connectMs: z.number().optional(),
    serverVersion: z.string().optional(),
    pending: z.array(
      z.object({
        id: z.string(),
        file: z.string().optional(),
        checksum: z.string(),
        statements: z.number(),
        outsideTransaction: z.string().optional(),
      }),
    ),
    alreadyApplied: z.boolean(),
    drift: z.array(driftSchema),
    unknown: z.array(z.string()),
    outOfOrder: z.array(z.string()),
    counts: snapshotCounts.optional(),
    problem: z.string().optional(),
    parseError: pgErrorView.optional(),
    metricsBaseline: rawSampleSchema.optional(),
    rowCounts: z.record(z.string(), z.number()).optional(),
    checks: z.number().optional(),
    recordedBy: z.array(z.object({ by: z.string(), count: z.number() })).optional(),
    lint: lintReportSchema.optional(),
    relationSizes: z.array(relationSizeSchema).optional(),
  }),
);

export const applyResultSchema = schemaOf<ApplyResult>()(
  z.object({
    env: z.string(),
    ok: z.boolean(),
    files: z.array(appliedFile),
    failure: failedFile.optional(),
    diffSummary: z.string().optional(),
    countsSummary: z.string().optional(),
    changes: z.array(notableChanges).optional(),
    catalogUnchanged: z.boolean().optional(),
    problem: z.string().optional(),
    drift: z.array(driftSchema).optional(),
    touchedTables: z.array(z.string()).optional(),
    catalogBefore: z.object({ digest: z.string(), counts: snapshotCounts }).optional(),
  }),
);

export const verifyResultSchema = schemaOf<VerifyResult>()(
  z.object({
    env: z.string(),
    ok: z.boolean(),
    results: z.array(checkResultSchema),
    summary: checkSummarySchema,
    durationMs: z.number(),
    problem: z.string().optional(),
    outsideRun: z.boolean().optional(),
  }),
);

export const rollbackResultSchema = schemaOf<RollbackResult>()(
  z.object({
    env: z.string(),
    ok: z.boolean(),
    files: z.array(appliedFile),
    failure: failedFile.optional(),
    catalogRestored: z.boolean().optional(),
    countsSummary: z.string().optional(),
    kept: z.array(z.string()).optional(),
    note: z.string().optional(),
    problem: z.string().optional(),
  }),
);
