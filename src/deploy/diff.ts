/** Catalog snapshots compared: what a migration added, removed or changed. Pure. */
import { CATEGORIES, type Category, KEYS, type Snapshot } from './snapshot.js';

export interface CategoryDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export type SnapshotDiff = Record<Category, CategoryDiff>;

export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const out = {} as SnapshotDiff;
  for (const cat of CATEGORIES) {
    const { key, compare } = KEYS[cat];
    const index = (list: readonly unknown[]) =>
      new Map(list.map((o) => [key(o as never), compare(o as never)] as const));
    const a = index(before[cat]);
    const b = index(after[cat]);
    out[cat] = {
      added: [...b.keys()].filter((k) => !a.has(k)).sort(),
      removed: [...a.keys()].filter((k) => !b.has(k)).sort(),
      changed: [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k)).sort(),
    };
  }
  return out;
}

const CHILDREN: Category[] = ['columns', 'constraints', 'indexes', 'policies', 'triggers'];

export interface NotableChanges {
  readonly what: string;
  readonly added: string[];
  readonly removed: string[];
  readonly changed: string[];
}

/**
 * The names worth showing a person: objects of a table that was itself added or removed are left out
 * (the table says it), and each list is capped at `cap` with a count of the rest.
 */
export function notableChanges(d: SnapshotDiff, cap = 10): NotableChanges[] {
  const wholeTables = new Set([...d.tables.added, ...d.tables.removed]);
  const ofWholeTable = (cat: Category, key: string) =>
    (CHILDREN.includes(cat) && [...wholeTables].some((t) => key.startsWith(`${t}.`))) ||
    (cat === 'grants' && [...wholeTables].some((t) => key.startsWith(`table ${t} `)));
  const capped = (list: string[]) =>
    list.length > cap ? [...list.slice(0, cap), `… ${list.length - cap} more`] : list;
  return CATEGORIES.map((cat) => {
    const keep = (list: string[]) => capped(list.filter((k) => !ofWholeTable(cat, k)));
    return {
      what: KEYS[cat].noun[1],
      added: keep(d[cat].added),
      removed: keep(d[cat].removed),
      changed: keep(d[cat].changed),
    };
  }).filter((c) => c.added.length + c.removed.length + c.changed.length > 0);
}

/** Tables a diff touches: added or changed tables, and tables whose columns, indexes or rules changed. */
export function touchedTables(d: SnapshotDiff): string[] {
  const out = new Set<string>([...d.tables.added, ...d.tables.changed]);
  for (const cat of CHILDREN)
    for (const k of [...d[cat].added, ...d[cat].removed, ...d[cat].changed])
      out.add(k.slice(0, k.lastIndexOf('.')));
  return [...out].filter((t) => !d.tables.removed.includes(t)).sort();
}

export function isEmptyDiff(d: SnapshotDiff): boolean {
  return CATEGORIES.every((c) => d[c].added.length + d[c].removed.length + d[c].changed.length === 0);
}

const plural = (n: number, [one, many]: [string, string]) => `${n} ${n === 1 ? one : many}`;

/** "+1 function, +4 columns, −1 index, 2 columns changed" — or "no schema change". */
export function summarizeDiff(d: SnapshotDiff): string {
  const parts: string[] = [];
  for (const c of CATEGORIES)
    if (d[c].added.length) parts.push(`+${plural(d[c].added.length, KEYS[c].noun)}`);
  for (const c of CATEGORIES)
    if (d[c].removed.length) parts.push(`−${plural(d[c].removed.length, KEYS[c].noun)}`);
  for (const c of CATEGORIES)
    if (d[c].changed.length) parts.push(`${plural(d[c].changed.length, KEYS[c].noun)} changed`);
  return parts.length ? parts.join(', ') : 'no schema change';
}

export interface SnapshotCounts {
  tables: number;
  foreignKeys: number;
  indexes: number;
  functions: number;
  policies: number;
  checkConstraints: number;
  triggers: number;
  extensions: number;
  sizeBytes: number;
}

export function countSnapshot(s: Snapshot): SnapshotCounts {
  return {
    tables: s.tables.filter((t) => t.kind === 'r' || t.kind === 'p').length,
    foreignKeys: s.constraints.filter((c) => c.type === 'f').length,
    checkConstraints: s.constraints.filter((c) => c.type === 'c').length,
    indexes: s.indexes.length,
    functions: s.functions.length,
    policies: s.policies.length,
    triggers: s.triggers.length,
    extensions: s.extensions.length,
    sizeBytes: s.databaseSize,
  };
}

const COUNT_LABELS: [keyof SnapshotCounts, string][] = [
  ['tables', 'tables'],
  ['foreignKeys', 'FKs'],
  ['indexes', 'indexes'],
  ['functions', 'functions'],
  ['policies', 'policies'],
  ['checkConstraints', 'CHECKs'],
  ['triggers', 'triggers'],
  ['extensions', 'extensions'],
];

/** "tables 43 → 59; FKs 42 → 85" for the counts that changed. */
export function summarizeCounts(before: SnapshotCounts, after: SnapshotCounts): string {
  return COUNT_LABELS.filter(([k]) => before[k] !== after[k])
    .map(([k, label]) => `${label} ${before[k]} → ${after[k]}`)
    .join('; ');
}

/** "1 table, 0 FKs, 2 indexes, 1 function, 0 policies, 8.1 MB": each count with its noun in the right number. */
export function describeCounts(c: SnapshotCounts): string {
  return [
    plural(c.tables, ['table', 'tables']),
    plural(c.foreignKeys, ['FK', 'FKs']),
    plural(c.indexes, ['index', 'indexes']),
    plural(c.functions, ['function', 'functions']),
    plural(c.policies, ['policy', 'policies']),
    formatBytes(c.sizeBytes),
  ].join(', ');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
