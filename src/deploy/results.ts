/** What each step measured: stored with the step, rendered in the thread and the report. Pure data. */
import type { NotableChanges, SnapshotCounts } from './diff.js';
import type { Drift } from './ledger.js';

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
}

export type StepResult =
  | { kind: 'preflight'; result: PreflightResult }
  | { kind: 'apply'; result: ApplyResult };
