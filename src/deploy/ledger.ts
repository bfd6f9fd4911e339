/** What to apply, given the files and a target's ledger. Pure. */
import { z } from 'zod';
import { adoptForeign, compareVersions, type ForeignLedger, type Unfinished } from './foreign-ledger.js';
import { schemaOf } from './stored.js';

export interface LedgerEntry {
  readonly id: string;
  readonly version: string;
  readonly checksum: string;
  readonly appliedAt: string;
  readonly appliedBy: string | null;
  readonly runId: number | null;
  /** Set when another tool recorded it (`Prisma`): see foreign-ledger.ts. */
  readonly recordedBy?: string;
  /** Marked applied without running it (`baseline`): the schema was made some other way. */
  readonly baselined?: boolean;
}

export interface Drift {
  readonly id: string;
  readonly ledgerChecksum: string;
  readonly fileChecksum: string;
  readonly appliedAt: string;
  /** The tool whose ledger holds the other checksum, when it is not the bot's own (`Prisma`). */
  readonly recordedBy?: string;
}

export const driftSchema = schemaOf<Drift>()(
  z.object({
    id: z.string(),
    ledgerChecksum: z.string(),
    fileChecksum: z.string(),
    appliedAt: z.string(),
    recordedBy: z.string().optional(),
  }),
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
  /** Migrations another tool started and never finished (a dirty golang-migrate version): these block the run. */
  readonly unfinished: Unfinished[];
  /** How many of the folder's files are applied, by who recorded them (`migration-gate`, `Prisma`), when another tool's ledger was read. */
  readonly recordedBy?: { by: string; count: number }[];
}

/** Who recorded a file the bot applied itself. */
export const OWN_LEDGER = 'migration-gate';

export function planPending<F extends { id: string; version: string; checksum: string }>(
  files: readonly F[],
  ledger: readonly LedgerEntry[],
  uptoId: string,
  /** Other tools' ledgers on the target: what they record is applied too (the bot's own row wins). */
  foreign: readonly ForeignLedger[] = [],
): PendingPlan<F> {
  const adopted = adoptForeign(files, foreign);
  const applied = new Map(ledger.map((l) => [l.id, l]));
  for (const e of adopted.entries) if (!applied.has(e.id)) applied.set(e.id, e);
  const fileIds = new Set(files.map((f) => f.id));
  const drift: Drift[] = [];
  for (const f of files) {
    const l = applied.get(f.id);
    if (l && l.checksum !== f.checksum)
      drift.push({
        id: f.id,
        ledgerChecksum: l.checksum,
        fileChecksum: f.checksum,
        appliedAt: l.appliedAt,
        ...(l.recordedBy ? { recordedBy: l.recordedBy } : {}),
      });
  }
  const uptoIndex = files.findIndex((f) => f.id === uptoId);
  const pending = files.slice(0, uptoIndex + 1).filter((f) => !applied.has(f.id));
  const all = [...applied.values()];
  const newest = all.reduce<string | null>(
    (m, l) => (m === null || compareVersions(l.version, m) > 0 ? l.version : m),
    null,
  );
  const counts = new Map<string, number>();
  for (const f of files) {
    const by = applied.get(f.id)?.recordedBy ?? (applied.has(f.id) ? OWN_LEDGER : null);
    if (by) counts.set(by, (counts.get(by) ?? 0) + 1);
  }
  return {
    pending,
    drift,
    unknown: [...ledger.filter((l) => !fileIds.has(l.id)), ...adopted.unknown],
    outOfOrder: pending
      .filter((f) => newest !== null && compareVersions(f.version, newest) < 0)
      .map((f) => f.id),
    unfinished: adopted.unfinished,
    ...(foreign.length ? { recordedBy: [...counts].map(([by, count]) => ({ by, count })) } : {}),
  };
}

/** "21 applied, recorded by Prisma" or "23 applied: 21 recorded by Prisma, 2 by migration-gate". */
export function describeRecorded(recorded: readonly { by: string; count: number }[]): string | undefined {
  const total = recorded.reduce((n, r) => n + r.count, 0);
  if (!recorded.length) return undefined;
  if (recorded.length === 1) return `${total} applied, recorded by ${recorded[0]!.by}`;
  const parts = recorded.map((r, i) => `${r.count} ${i === 0 ? 'recorded ' : ''}by ${r.by}`);
  return `${total} applied: ${parts.join(', ')}`;
}

export function describeDrift(d: Drift, env: string): string {
  const where = d.recordedBy ? ` (recorded by ${d.recordedBy})` : '';
  return `${d.id}.sql was applied on ${env}${d.appliedAt ? ` at ${d.appliedAt}` : ''}${where} with checksum ${d.ledgerChecksum.slice(0, 12)}, but the file now has checksum ${d.fileChecksum.slice(0, 12)}. Restore the file to what was applied, or put the change in a new migration.`;
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
