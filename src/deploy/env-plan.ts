/**
 * What a deploy would do on one environment, for `migration-gate plan`: the files it would apply in order, what
 * lint says of them, the lock trace measured where they were last applied, and every reason its preflight would
 * stop. Pure: src/plan-read.ts reads the target and the store.
 */
import { describeUnfinished, type Unfinished } from './foreign-ledger.js';
import type { KnownTrace } from './known-traces.js';
import { type Drift, describeDrift } from './ledger.js';
import { blockedBy, blocks, type LintReport } from './lint.js';
import type { RelationSize } from './lock-trace.js';

export interface PlannedFile {
  readonly id: string;
  readonly file: string;
  readonly checksum: string;
  /** Statements the bot would run; null when the file does not parse. */
  readonly statements: number | null;
  /** Why it would run outside a transaction; null when it runs in one. */
  readonly outsideTransaction: string | null;
  /** Its lint findings by level (allowed ones apart). */
  readonly lint: { errors: number; warnings: number; allowed: number };
  /** Measured where this text was last applied; null when not measured. */
  readonly lockTrace: KnownTrace | null;
}

/** `plan --json`: every field is always there (empty or null when it does not apply). */
export interface EnvPlan {
  readonly env: string;
  /** The migration the deploy goes up to (the folder's newest unless --migration names one). */
  readonly upTo: string;
  readonly serverVersion: string;
  /** In the order a deploy applies them. */
  readonly pending: PlannedFile[];
  /** Lint of the pending files, as preflight runs it; null when nothing is pending. */
  readonly lint: LintReport | null;
  /** Rows (estimated) and bytes here of every table the lock traces name. */
  readonly relationSizes: RelationSize[];
  /** False when DATABASE_URL is not set: no stored apply was read, so every file is not measured. */
  readonly lockTracesRead: boolean;
  readonly drift: Drift[];
  readonly unfinished: Unfinished[];
  readonly unknown: { id: string; recordedBy: string }[];
  readonly outOfOrder: string[];
  /** The run holding this environment now, when the state database says (a new deploy waits for it). */
  readonly heldBy: { runId: number; requestedBy: string; since: string } | null;
  /** Each reason a deploy's preflight would stop here, as the bot says it; empty when none. */
  readonly blockers: string[];
}

/** What was found, before it is judged. */
export interface PlanFacts {
  readonly unfinished: readonly Unfinished[];
  readonly drift: readonly Drift[];
  /** Files that do not parse or hold statements the bot refuses, as sentences with file:line:column. */
  readonly fileProblems: readonly string[];
  readonly checkProblems: readonly string[];
  readonly lint: LintReport | null;
}

/** In the order preflight meets them (it stops at the first; the plan lists them all). */
export function blockersOf(env: string, f: PlanFacts): string[] {
  return [
    ...f.unfinished.map((u) => describeUnfinished(u, env)),
    ...f.fileProblems,
    ...f.drift.map((d) => describeDrift(d, env)),
    ...(f.checkProblems.length ? [`Check files are not valid: ${f.checkProblems.join('; ')}`] : []),
    ...(f.lint && blocks(f.lint) ? [blockedBy(f.lint)] : []),
  ];
}

/** A file's findings by level (from the report's listed findings). */
export function lintCountsOf(report: LintReport | null, file: string): PlannedFile['lint'] {
  const mine = report?.findings.filter((x) => x.file === file) ?? [];
  return {
    errors: mine.filter((x) => x.level === 'error' && x.allowed === undefined).length,
    warnings: mine.filter((x) => x.level === 'warning' && x.allowed === undefined).length,
    allowed: mine.filter((x) => x.allowed !== undefined).length,
  };
}

/** "1 error, 2 warnings" / "no findings" for the plan's table. */
export function lintCell(c: PlannedFile['lint']): string {
  const n = (k: number, one: string) => `${k} ${one}${k === 1 ? '' : 's'}`;
  const parts = [
    ...(c.errors ? [n(c.errors, 'error')] : []),
    ...(c.allowed ? [`${c.allowed} allowed`] : []),
    ...(c.warnings ? [n(c.warnings, 'warning')] : []),
  ];
  return parts.length ? parts.join(', ') : 'no findings';
}
