/**
 * Ledgers other migration tools keep on a target (Prisma, Supabase, golang-migrate, dbmate, Flyway), as data, and
 * which of a folder's files they record as applied. Pure. What is read and written is docs/ledgers.md.
 */

/** A file a tool records as applied (the shape of ledger.ts's LedgerEntry, which imports this file). */
export interface Recorded {
  readonly id: string;
  readonly version: string;
  readonly checksum: string;
  readonly appliedAt: string;
  readonly appliedBy: null;
  readonly runId: null;
  readonly recordedBy: string;
}

export type Tool = 'prisma' | 'supabase' | 'golang-migrate' | 'dbmate' | 'flyway';

/** How a tool is named in sentences ("21 applied, recorded by Prisma"). */
export const TOOL_NAMES: Readonly<Record<Tool, string>> = {
  prisma: 'Prisma',
  supabase: 'Supabase',
  'golang-migrate': 'golang-migrate',
  dbmate: 'dbmate',
  flyway: 'Flyway',
};

/** One row as a tool recorded it. */
export interface ForeignRow {
  /** The migration's version as the tool stores it (Prisma: migration_name). */
  readonly version: string;
  /** sha256 hex of the applied text, where the tool's checksum is one we can compare (Prisma only). */
  readonly checksum?: string;
  readonly appliedAt?: string;
  /**
   * `applied` (default); `upto`: this and every lower version are applied (golang-migrate's only row, Flyway's
   * baseline); `undone`: a later row took it back (Flyway's undo and repair's delete); `failed`: started and
   * not finished (golang-migrate's dirty flag, a Prisma row neither finished nor rolled back).
   */
  readonly kind?: 'applied' | 'upto' | 'undone' | 'failed';
}

export interface ForeignLedger {
  readonly tool: Tool;
  /** The table, as a user would name it (`_prisma_migrations`, `supabase_migrations.schema_migrations`). */
  readonly table: string;
  /** The table's name as SQL, quoted and schema-qualified. */
  readonly qualified: string;
  /** In the order the tool wrote them (Flyway: installed_rank). */
  readonly rows: readonly ForeignRow[];
  /** Optional columns the table has (Supabase: name, statements), so that writes fill what exists. */
  readonly columns: readonly string[];
}

/** A migration a tool recorded as started and never finished: nothing runs until someone resolves it. */
export interface Unfinished {
  readonly tool: Tool;
  readonly table: string;
  readonly version: string;
}

/** Numeric parts of a version's leading `1.2.3` (Flyway also writes `1_2`), or none. */
function numericParts(v: string): bigint[] {
  const m = /^\d+(?:[._]\d+)*/.exec(v);
  if (!m) return [];
  const parts = m[0].split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts.at(-1) === 0n) parts.pop();
  return parts;
}

/** Orders versions as the tools do: numbers part by part (`13.1` < `13.10`, `1.0` = `1`), then as text. */
export function compareVersions(a: string, b: string): number {
  const pa = numericParts(a);
  const pb = numericParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? -1n;
    const y = pb[i] ?? -1n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a === b || pa.length ? 0 : a < b ? -1 : 1;
}

/** Whether a ledger row names this file, by the tool's own rule. */
function names(tool: Tool, file: { id: string; version: string }, version: string): boolean {
  if (tool === 'prisma') return file.id === version;
  if (tool === 'supabase' || tool === 'dbmate') return file.version === version;
  return compareVersions(file.version, version) === 0 && numericParts(file.version).length > 0;
}

/** What each foreign ledger says about these files: entries for the files it records, the rest, and blockers. */
export function adoptForeign<F extends { id: string; version: string; checksum: string }>(
  files: readonly F[],
  ledgers: readonly ForeignLedger[],
): { entries: Recorded[]; unknown: Recorded[]; unfinished: Unfinished[] } {
  const entries = new Map<string, Recorded>();
  const unknown: Recorded[] = [];
  const unfinished: Unfinished[] = [];
  for (const l of ledgers) {
    const recordedBy = TOOL_NAMES[l.tool];
    const mine = new Map<string, Recorded>();
    for (const row of l.rows) {
      const kind = row.kind ?? 'applied';
      if (kind === 'failed') {
        unfinished.push({ tool: l.tool, table: l.table, version: row.version });
        continue;
      }
      const hits = files.filter((f) =>
        kind === 'upto'
          ? numericParts(f.version).length > 0 && compareVersions(f.version, row.version) <= 0
          : names(l.tool, f, row.version),
      );
      if (kind === 'undone') {
        for (const f of hits) mine.delete(f.id);
        continue;
      }
      const exact = hits.some((f) => names(l.tool, f, row.version));
      if (!exact && (kind === 'applied' || l.tool === 'golang-migrate'))
        unknown.push(entry(row.version, row.version, row.checksum ?? '', row.appliedAt, recordedBy));
      for (const f of hits)
        mine.set(
          f.id,
          entry(
            f.id,
            f.version,
            exact && kind === 'applied' ? (row.checksum ?? f.checksum) : f.checksum,
            row.appliedAt,
            recordedBy,
          ),
        );
    }
    for (const [id, e] of mine) if (!entries.has(id)) entries.set(id, e);
  }
  return { entries: [...entries.values()], unknown, unfinished };
}

const entry = (
  id: string,
  version: string,
  checksum: string,
  appliedAt: string | undefined,
  recordedBy: string,
): Recorded => ({
  id,
  version,
  checksum,
  appliedAt: appliedAt ?? '',
  appliedBy: null,
  runId: null,
  recordedBy,
});

/** Why a run cannot go on while a tool's migration is half done, and what to do. */
export function describeUnfinished(u: Unfinished, env: string): string {
  if (u.tool === 'golang-migrate')
    return `golang-migrate's ${u.table} on ${env} says version ${u.version} is dirty: a migration failed part way and golang-migrate stopped there, so nothing was applied. Check what that migration left behind and fix it by hand, then run \`migrate force ${u.version}\` if it is now fully applied (or force the version before it if it is not), and run again.`;
  return `${TOOL_NAMES[u.tool]} recorded ${u.version} on ${env} as started and not finished (${u.table}), so nothing was applied. Check what it left behind, then run \`prisma migrate resolve --applied ${u.version}\` or \`--rolled-back ${u.version}\`, and run again.`;
}
