/**
 * The lock trace `migration-gate plan` shows for each pending file: the one measured by the newest apply of that
 * same text on another environment, as the bot stored it with the apply's step result. Pure.
 */
import { describeTrace, type MeasuredTrace, type RelationSize, type TracedStatement } from './lock-trace.js';
import type { ApplyResult } from './results.js';

/** An apply step's stored result, with its run's checksums (what text each file had). Newest first. */
export interface StoredApply {
  readonly runId: number;
  readonly env: string;
  /** ISO time the apply step finished; null when it never did (the bot stopped in the middle). */
  readonly finishedAt: string | null;
  /** The run's files, id → sha256, fixed when it started. */
  readonly checksums: Readonly<Record<string, string>>;
  readonly result: ApplyResult;
}

export interface KnownTrace {
  readonly measuredOn: string;
  readonly runId: number;
  readonly appliedAt: string | null;
  /** Statements that took a lock stronger than ROW EXCLUSIVE on an existing table; empty: none did. */
  readonly statements: readonly TracedStatement[];
}

/**
 * For each file, the trace from the newest apply (on an environment other than `here`) that applied the same text
 * (the run's checksum of it equals the file's now); null when none did: not measured.
 */
export function knownTraces(
  applies: readonly StoredApply[],
  files: readonly { id: string; checksum: string }[],
  here: string,
): Map<string, KnownTrace | null> {
  const out = new Map<string, KnownTrace | null>();
  for (const f of files) {
    let found: KnownTrace | null = null;
    for (const a of applies) {
      if (a.env === here || a.checksums[f.id] !== f.checksum) continue;
      const applied = a.result.files.find((x) => x.id === f.id);
      if (!applied) continue;
      found = {
        measuredOn: a.env,
        runId: a.runId,
        appliedAt: a.finishedAt,
        statements: applied.lockTrace ?? [],
      };
      break;
    }
    out.set(f.id, found);
  }
  return out;
}

/** Every relation the traces name (their sizes are read where the plan is). */
export const relationsOf = (traces: Iterable<KnownTrace | null>): string[] => [
  ...new Set([...traces].flatMap((t) => t?.statements.flatMap((s) => s.locks.map((l) => l.relation)) ?? [])),
];

/** The plan's lines for one file: each strong lock with the sizes here, or why there is nothing to show. */
export function traceLines(
  file: string,
  trace: KnownTrace | null,
  here: string,
  sizes: readonly RelationSize[],
  /** False when no stored apply could be read (no state database): then there is nothing to say why. */
  searched = true,
): string[] {
  if (!trace)
    return [`${file}: not measured${searched ? ' (no other environment has applied this text of it)' : ''}`];
  const lines = describeTrace(file, trace.statements, trace.measuredOn, here, sizes);
  return lines.length
    ? lines
    : [
        `${file}: no lock stronger than ROW EXCLUSIVE on an existing table (measured on ${trace.measuredOn}, run #${trace.runId})`,
      ];
}

/** The approval card's view: the files pending at a gate, each with its known trace or listed as unmeasured. */
export function measuredFrom(
  known: ReadonlyMap<string, KnownTrace | null>,
  pending: readonly { id: string; file?: string }[],
): MeasuredTrace | undefined {
  if (!pending.length) return undefined;
  const name = (p: { id: string; file?: string }) => p.file ?? `${p.id}.sql`;
  return {
    files: pending.flatMap((p) => {
      const k = known.get(p.id);
      return k ? [{ file: name(p), trace: k.statements, measuredOn: k.measuredOn, runId: k.runId }] : [];
    }),
    unmeasured: pending.filter((p) => !known.get(p.id)).map(name),
  };
}
