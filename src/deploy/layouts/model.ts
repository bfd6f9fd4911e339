/** What a migrations folder's layout is: how its files are named, ordered and split into up, down and checks. Pure. */

export const LAYOUT_NAMES = ['plain', 'prisma', 'supabase', 'golang-migrate', 'dbmate', 'flyway'] as const;
export type LayoutName = (typeof LAYOUT_NAMES)[number];
export type LayoutSetting = LayoutName | 'auto';

export type PartKind = 'up' | 'down' | 'checks';

/** One file of a migration, as the layout names it. */
export interface FilePart {
  readonly kind: PartKind;
  /** The migration's id as the tool writes it: `20240101000000_init`, `V18__index_end_time`. */
  readonly id: string;
  /** The version as the tool's own ledger stores it (prisma: the id; flyway: the dotted version). */
  readonly version: string;
  /** Where it sorts: the leading number, or flyway's version part by part (trailing zeros dropped). */
  readonly order: readonly bigint[];
}

/**
 * What one path (relative to the folder, `/`-separated) is: a part of a migration, a file meant as a migration
 * that is misnamed or refused (a sentence, given the next free number to suggest), or undefined when it is not a
 * migration file at all and is ignored.
 */
export type FileRole = FilePart | { readonly problem: (next: string) => string } | undefined;

/** A migration file's text split into what is applied and what rolls it back (dbmate keeps both in one file). */
export interface Sections {
  readonly up: string;
  readonly down?: string;
  /** Why the up part runs outside a transaction (a marker in the file), if it does. */
  readonly noTransaction?: string;
  readonly downNoTransaction?: string;
}

export interface Layout {
  readonly name: LayoutName;
  role(path: string): FileRole;
  /** The number a new migration would take after `max` (undefined: none yet), in this layout's style. */
  next(max: bigint | undefined, width: number): string;
  /** How the files of a migration with this id are named, for sentences. */
  names(id: string): { readonly up: string; readonly down: string; readonly checks: string };
  /** Split an up file's text (dbmate); without it the whole file is the up part. */
  sections?(text: string): Sections | { readonly problem: string };
  /** A single BEGIN; … COMMIT; around a whole file is that file's transaction (supabase). */
  readonly wrapper?: boolean;
  /** Migrations are told apart by id, not by their number (prisma: two folders may share a timestamp). */
  readonly uniqueById?: boolean;
  /** A down file belongs to the migration of the same version whatever its description says (flyway's U files). */
  readonly downByVersion?: boolean;
}

/** Compare two orders number by number; a shorter order that is a prefix sorts first. */
export function compareOrder(a: readonly bigint[], b: readonly bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A name made of lowercase words joined by `_`, for rename suggestions. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'name'
  );
}

/** `max + 1` written with at least `width` digits (the width the folder already uses). */
export function nextNumber(max: bigint | undefined, width: number, first: string): string {
  if (max === undefined) return first;
  return String(max + 1n).padStart(width, '0');
}

/** A migration's paths without the kind (`a.down.sql` → `a`), for suggestions. */
export function stemOf(file: string): string {
  return file.replace(/(\.up\.sql|\.down\.sql|\.checks\.ya?ml|\.sql)$/i, '');
}

export const isSql = (p: string) => /\.sql$/i.test(p);
export const isChecks = (p: string) => /\.checks\.ya?ml$/i.test(p);
export const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);
