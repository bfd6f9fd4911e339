/** What to apply, given the files and a target's ledger. Pure. */
import { z } from 'zod';
import { schemaOf } from './stored.js';

export interface LedgerEntry {
  readonly id: string;
  readonly version: string;
  readonly checksum: string;
  readonly appliedAt: string;
  readonly appliedBy: string | null;
  readonly runId: number | null;
}

export interface Drift {
  readonly id: string;
  readonly ledgerChecksum: string;
  readonly fileChecksum: string;
  readonly appliedAt: string;
}

export const driftSchema = schemaOf<Drift>()(
  z.object({ id: z.string(), ledgerChecksum: z.string(), fileChecksum: z.string(), appliedAt: z.string() }),
);

export interface PendingPlan<F> {
  /** Files to apply, in order, up to and including the target migration. */
  readonly pending: F[];
  /** Applied files whose contents changed since: any of these blocks the run. */
  readonly drift: Drift[];
  /** Ledger rows with no file in the folder (applied elsewhere or deleted): reported, not blocking. */
  readonly unknown: LedgerEntry[];
  /** Pending files older than the newest applied one. */
  readonly outOfOrder: string[];
}

export function planPending<F extends { id: string; version: string; checksum: string }>(
  files: readonly F[],
  ledger: readonly LedgerEntry[],
  uptoId: string,
): PendingPlan<F> {
  const applied = new Map(ledger.map((l) => [l.id, l]));
  const fileIds = new Set(files.map((f) => f.id));
  const drift: Drift[] = [];
  for (const f of files) {
    const l = applied.get(f.id);
    if (l && l.checksum !== f.checksum)
      drift.push({ id: f.id, ledgerChecksum: l.checksum, fileChecksum: f.checksum, appliedAt: l.appliedAt });
  }
  const uptoIndex = files.findIndex((f) => f.id === uptoId);
  const pending = files.slice(0, uptoIndex + 1).filter((f) => !applied.has(f.id));
  const newestApplied = ledger.reduce((m, l) => (BigInt(l.version) > m ? BigInt(l.version) : m), -1n);
  return {
    pending,
    drift,
    unknown: ledger.filter((l) => !fileIds.has(l.id)),
    outOfOrder: pending.filter((f) => BigInt(f.version) < newestApplied).map((f) => f.id),
  };
}

export function describeDrift(d: Drift, env: string): string {
  return `${d.id}.sql was applied on ${env} at ${d.appliedAt} with checksum ${d.ledgerChecksum.slice(0, 12)}, but the file now has checksum ${d.fileChecksum.slice(0, 12)}. Restore the file to what was applied, or put the change in a new migration.`;
}

/** Files up to and including `uptoId` whose checksum differs from what the run started with, as sentences. */
export function checksumChanges(
  files: readonly { id: string; checksum: string; checksChecksum?: string; downChecksum?: string }[],
  expected: Readonly<Record<string, string>>,
  runId: number,
): string[] {
  const now = new Map<string, string>();
  for (const f of files) {
    now.set(f.id, f.checksum);
    if (f.checksChecksum) now.set(`${f.id}.checks.yml`, f.checksChecksum);
    if (f.downChecksum) now.set(`${f.id}.down.sql`, f.downChecksum);
  }
  const name = (key: string) => (/\.(checks\.yml|down\.sql)$/.test(key) ? key : `${key}.sql`);
  const changed = Object.entries(expected)
    .filter(([key, sum]) => now.get(key) !== sum)
    .map(([key, sum]) =>
      now.has(key)
        ? `${name(key)} changed since run #${runId} started (sha256 ${sum.slice(0, 12)} → ${now.get(key)!.slice(0, 12)}): each environment gets exactly the files that passed before it. Start a new run to deploy the new version.`
        : `${name(key)} was removed since run #${runId} started. Start a new run.`,
    );
  // A checks file that appeared beside one of the run's migrations would run checks nobody saw pass before.
  const added = files
    .filter(
      (f) => f.checksChecksum && expected[f.id] !== undefined && expected[`${f.id}.checks.yml`] === undefined,
    )
    .map(
      (f) =>
        `${f.id}.checks.yml was added since run #${runId} started (sha256 ${f.checksChecksum!.slice(0, 12)}): each environment runs exactly the checks that passed before it. Start a new run to use it.`,
    );
  return [...changed, ...added];
}
