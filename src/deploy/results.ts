/** What each step measured: stored with the step, rendered in the thread and the report. Pure data. */
import type { CheckResult, CheckSummary } from './checks.js';
import type { NotableChanges, SnapshotCounts } from './diff.js';
import type { Drift } from './ledger.js';
import type { RawSample } from './monitoring.js';

export interface PgErrorView {
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly where?: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly statement?: number;
}

export interface PreflightResult {
  readonly env: string;
  readonly ok: boolean;
  readonly connectMs?: number;
  readonly serverVersion?: string;
  readonly pending: { id: string; checksum: string; statements: number; outsideTransaction?: string }[];
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
}

export interface AppliedFile {
  readonly id: string;
  readonly statements: number;
  readonly durationMs: number;
  readonly lockRetries: number;
  readonly outsideTransaction?: string;
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
