/**
 * Backups before apply and restores after a rollback: what the steps store (zod-checked when read back), how a
 * copy is named, what a restore can put back, said in sentences. Pure.
 */

import { z } from 'zod';
import type { Change } from './backup-plan.js';
import { formatBytes } from './diff.js';
import { schemaOf } from './stored.js';

/** The schema in each target that holds the copies (and its catalog table, `backups`). */
export const BACKUP_SCHEMA = 'migration_gate_backup';
/** How long copies are kept when deploy.yml gives no keepFor. */
export const DEFAULT_KEEP_MS = 30 * 86_400_000;

export interface BackupColumn {
  readonly name: string;
  /** The column's type as PostgreSQL writes it (format_type), to recreate it or cast back to it. */
  readonly type: string;
  /** Copied as text: a type outside pg_catalog (enum, domain, extension type) the migration might drop. */
  readonly asText: boolean;
  readonly notNull: boolean;
}

export interface BackedUpTable {
  readonly schema: string;
  readonly name: string;
  /** Its copy in BACKUP_SCHEMA. */
  readonly backup: string;
  readonly rows: number;
  readonly bytes: number;
  readonly changes: readonly Change[];
  /** Rows may be gone after the migration: restore inserts the copy's rows that are missing. */
  readonly restoreRows: boolean;
  /** Columns whose values restore puts back, matched by primary key. */
  readonly restoreColumns: readonly string[];
  readonly columns: readonly BackupColumn[];
  /** Its primary key's columns when it was copied (none: restore cannot match rows by key). */
  readonly primaryKey: readonly string[];
}

export interface BackupResult {
  readonly env: string;
  readonly ok: boolean;
  readonly tables: readonly BackedUpTable[];
  /** Named by the statements but not copied, and why ("does not exist yet", "is a view"). */
  readonly skipped: readonly { readonly table: string; readonly why: string }[];
  readonly durationMs: number;
  readonly problem?: string;
}

export interface RestoredTable {
  readonly schema: string;
  readonly name: string;
  readonly backup: string;
  /** The table was gone and was created again from the copy's columns and primary key. */
  readonly recreated: boolean;
  readonly rowsInserted: number;
  readonly rowsUpdated: number;
  /** The columns whose values were put back by primary key. */
  readonly columns: readonly string[];
  /** What could not be put back, each a sentence. */
  readonly notes: readonly string[];
}

export interface RestoreResult {
  readonly env: string;
  readonly ok: boolean;
  readonly tables: readonly RestoredTable[];
  readonly durationMs: number;
  readonly problem?: string;
}

const change = z.enum(['alter', 'drop', 'truncate', 'update', 'delete']);

export const backupResultSchema = schemaOf<BackupResult>()(
  z.object({
    env: z.string(),
    ok: z.boolean(),
    tables: z.array(
      z.object({
        schema: z.string(),
        name: z.string(),
        backup: z.string(),
        rows: z.number(),
        bytes: z.number(),
        changes: z.array(change),
        restoreRows: z.boolean(),
        restoreColumns: z.array(z.string()),
        columns: z.array(
          z.object({ name: z.string(), type: z.string(), asText: z.boolean(), notNull: z.boolean() }),
        ),
        primaryKey: z.array(z.string()),
      }),
    ),
    skipped: z.array(z.object({ table: z.string(), why: z.string() })),
    durationMs: z.number(),
    problem: z.string().optional(),
  }),
);

export const restoreResultSchema = schemaOf<RestoreResult>()(
  z.object({
    env: z.string(),
    ok: z.boolean(),
    tables: z.array(
      z.object({
        schema: z.string(),
        name: z.string(),
        backup: z.string(),
        recreated: z.boolean(),
        rowsInserted: z.number(),
        rowsUpdated: z.number(),
        columns: z.array(z.string()),
        notes: z.array(z.string()),
      }),
    ),
    durationMs: z.number(),
    problem: z.string().optional(),
  }),
);

/** PostgreSQL's identifier limit, in bytes. */
const NAME_MAX = 63;

/**
 * The copy's name: `run17_orders` (`run17_billing_orders` outside public), cut to 63 bytes, made unique against
 * `taken` with the table's oid. Only the run and the table's own name: nothing else goes in it.
 */
export function backupName(
  runId: number,
  schema: string,
  name: string,
  oid: number,
  taken: ReadonlySet<string>,
): string {
  const fitted = (base: string, tail = '') => {
    let chars = [...base];
    while (Buffer.byteLength(chars.join('') + tail) > NAME_MAX) chars = chars.slice(0, -1);
    return chars.join('') + tail;
  };
  const plain = fitted(`run${runId}_${schema === 'public' ? '' : `${schema}_`}${name}`);
  return taken.has(plain) ? fitted(`run${runId}_${name}`, `_${oid}`) : plain;
}

const qname = (t: { schema: string; name: string }) =>
  t.schema === 'public' ? t.name : `${t.schema}.${t.name}`;

/** What a restore from `backup` can put back: the tables with rows or column values the migration may have lost. */
export function restorable(backup: BackupResult | undefined): BackedUpTable[] {
  if (!backup?.ok) return [];
  return backup.tables.filter((t) => t.restoreRows || t.restoreColumns.length > 0);
}

/** "3 rows", "1,204,300 rows". */
export const rowsText = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'row' : 'rows'}`;

/** "512 B", "8.0 kB", "180 MB", "1.2 GB": the one byte formatter (diff.ts). */
export const sizeText = formatBytes;

/** One line per table restore would touch, and what it cannot do (plain text; names in backticks). */
export function describeRestore(tables: readonly BackedUpTable[]): string[] {
  return tables.map((t) => {
    const parts: string[] = [];
    if (t.restoreRows)
      parts.push(
        t.changes.includes('drop')
          ? `the table and its ${rowsText(t.rows)} (created again from the copy if the down file did not)`
          : `the rows missing of the ${rowsText(t.rows)} copied`,
      );
    const cols = t.restoreColumns.filter((c) => !t.primaryKey.includes(c));
    if (cols.length)
      parts.push(
        t.primaryKey.length
          ? `the values of ${cols.map((c) => `\`${c}\``).join(', ')} by primary key`
          : `not the values of ${cols.map((c) => `\`${c}\``).join(', ')}: the table has no primary key to match rows by`,
      );
    return `\`${qname(t)}\` (copy \`${t.backup}\`): ${parts.join('; ')}`;
  });
}

/** The summary on the run card: "3 tables, 1,204,300 rows, 180 MB". */
export function backupSummary(r: BackupResult): string {
  if (!r.tables.length) return 'nothing to back up';
  const rows = r.tables.reduce((n, t) => n + t.rows, 0);
  const bytes = r.tables.reduce((n, t) => n + t.bytes, 0);
  return `${r.tables.length === 1 ? '1 table' : `${r.tables.length} tables`}, ${rowsText(rows)}, ${sizeText(bytes)}`;
}

/** The summary of a restore: "2 tables, 1,000 rows put back, 40 values". */
export function restoreSummary(r: RestoreResult): string {
  const inserted = r.tables.reduce((n, t) => n + t.rowsInserted, 0);
  const updated = r.tables.reduce((n, t) => n + t.rowsUpdated, 0);
  const tables = r.tables.length === 1 ? '1 table' : `${r.tables.length} tables`;
  return `${tables}: ${rowsText(inserted)} put back${updated ? `, ${rowsText(updated)} with values put back` : ''}`;
}

export { qname as tableName };
