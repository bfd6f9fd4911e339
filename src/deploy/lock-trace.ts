/**
 * The lock trace of a file as it was applied: per statement, the strong locks it took on relations that existed
 * before the file (what other sessions would queue behind), whether a table was rewritten, rows affected, and how
 * long the lock was held (from the statement to the file's commit). Measured on one environment, shown at the
 * next one's gate with that environment's table sizes. Pure.
 */
import { z } from 'zod';
import { formatBytes } from './diff.js';

/** Modes stronger than ROW EXCLUSIVE, weakest first: each blocks writes or more. */
export const STRONG_MODES = [
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;
export type StrongMode = (typeof STRONG_MODES)[number];

export interface TracedLock {
  /** schema.name as PostgreSQL names it. */
  readonly relation: string;
  readonly mode: StrongMode;
  /** The table's storage was replaced (relfilenode changed): every row was rewritten under the lock. */
  readonly rewrite: boolean;
}

export interface TracedStatement {
  /** 1-based statement number in the file, and where it starts. */
  readonly statement: number;
  readonly line: number;
  /** The statement's first line, shortened. */
  readonly text: string;
  /** The strongest lock it took, per relation (new locks only: not those an earlier statement already held). */
  readonly locks: TracedLock[];
  readonly rows: number | null;
  /** From the statement's start to the file's commit: how long what it locked stayed locked. */
  readonly heldMs: number;
}

const tracedLock = z.object({
  relation: z.string(),
  mode: z.enum(STRONG_MODES),
  rewrite: z.boolean(),
});
export const tracedStatementSchema = z.object({
  statement: z.number(),
  line: z.number(),
  text: z.string(),
  locks: z.array(tracedLock),
  rows: z.number().nullable(),
  heldMs: z.number(),
});

const rank = (m: StrongMode) => STRONG_MODES.indexOf(m);

/** The strongest of each relation's modes. */
export function strongest(locks: readonly TracedLock[]): TracedLock[] {
  const by = new Map<string, TracedLock>();
  for (const l of locks) {
    const seen = by.get(l.relation);
    if (!seen || rank(l.mode) > rank(seen.mode))
      by.set(l.relation, { ...l, rewrite: l.rewrite || !!seen?.rewrite });
    else if (l.rewrite) by.set(l.relation, { ...seen, rewrite: true });
  }
  return [...by.values()];
}

/** "ACCESS EXCLUSIVE" from "AccessExclusiveLock", as PostgreSQL's docs name the modes. */
export const modeName = (m: StrongMode) =>
  m
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();

/** Sizes of the traced relations on the environment about to be approved (read at its preflight). */
export interface RelationSize {
  readonly relation: string;
  /** pg_class.reltuples (an estimate; -1 or 0 when never analyzed). */
  readonly rows: number;
  readonly bytes: number;
}
export const relationSizeSchema = z.object({ relation: z.string(), rows: z.number(), bytes: z.number() });

function approx(n: number): string {
  if (n < 0) return 'unknown';
  if (n >= 1e9) return `~${(n / 1e9).toFixed(1)} B`;
  if (n >= 1e6) return `~${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `~${(n / 1e3).toFixed(1)} k`;
  return `~${Math.round(n)}`;
}
/**
 * The approver's lines: "ALTER TABLE user_behaviors … → ACCESS EXCLUSIVE on public.user_behaviors, no rewrite,
 * held 84 ms on staging; production: ~1.2 M rows, 310 MB".
 */
export function describeTrace(
  file: string,
  trace: readonly TracedStatement[],
  measuredOn: string,
  /** The environment about to be approved (its sizes follow); none in the apply reply where it was measured. */
  here: string | undefined,
  sizes: readonly RelationSize[] | undefined,
): string[] {
  const out: string[] = [];
  for (const st of trace) {
    for (const l of strongest(st.locks)) {
      const size = sizes?.find((s) => s.relation === l.relation);
      const there = size
        ? `${here}: ${approx(size.rows)} rows, ${formatBytes(size.bytes)}`
        : sizes
          ? `${here}: not there yet`
          : `${here}: size not read`;
      out.push(
        `${file}:${st.line} ${st.text} → ${modeName(l.mode)} on ${l.relation}, ${l.rewrite ? 'table rewritten' : 'no rewrite'}, held ${st.heldMs} ms on ${measuredOn}${st.rows !== null ? ` (${st.rows} rows)` : ''}${here ? `; ${there}` : ''}`,
      );
    }
  }
  return out;
}

/** What was measured of the files about to be approved: each file's trace where it was last applied. */
export interface MeasuredTrace {
  /** Files with their traces, in apply order (an empty trace: no strong lock on an existing table). */
  readonly files: readonly {
    file: string;
    trace: readonly TracedStatement[];
    measuredOn: string;
    runId: number;
  }[];
  /** Files pending here that no other environment applied with this text: nothing measured. */
  readonly unmeasured: readonly string[];
}
