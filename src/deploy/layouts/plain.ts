/** plain: `NNN_name.sql` (or `NNN-name.sql`), with `NNN_name.down.sql` and `NNN_name.checks.yml` beside it. Pure. */
import { type FileRole, type Layout, nextNumber, type PartKind, slug, stemOf } from './model.js';

const PATTERN = /^(\d{3,})([_-])([a-z0-9][a-z0-9_-]*)(\.down\.sql|\.checks\.yml|\.sql)$/;

/** Files that are meant as migrations (and so must be named right); anything else in the folder is ignored. */
export function looksLikeMigration(file: string): boolean {
  if (file.startsWith('.') || file.includes('/')) return false;
  return /\.sql$/i.test(file) || /\.checks\.ya?ml$/i.test(file) || /^\d/.test(file);
}

export function plainRole(file: string): FileRole {
  if (!looksLikeMigration(file)) return undefined;
  const m = PATTERN.exec(file);
  if (!m) return { problem: (next) => `${file}: ${plainFix(file, next)}` };
  const kind: PartKind = m[4] === '.sql' ? 'up' : m[4] === '.down.sql' ? 'down' : 'checks';
  return { kind, id: `${m[1]}${m[2]}${m[3]}`, version: m[1]!, order: [BigInt(m[1]!)] };
}

/** How to rename a misnamed file: its own number kept (three digits at least), or the next free one. */
export function plainFix(file: string, next: string): string {
  const stem = slug(stemOf(file));
  const lead = /^(\d+)_?(.*)$/.exec(stem);
  const numbered = lead ? `${lead[1]!.padStart(3, '0')}_${slug(lead[2]!)}` : `${next}_${stem}`;
  if (/\.checks\.yaml$/i.test(file)) return `rename it to ${numbered}.checks.yml (the extension is .yml)`;
  if (!/\.(sql|yml)$/i.test(file))
    return `not a migration file; name migrations like ${next}_name.sql (with optional ${next}_name.down.sql and ${next}_name.checks.yml)`;
  const ext = /\.down\.sql$/i.test(file) ? '.down.sql' : /\.yml$/i.test(file) ? '.checks.yml' : '.sql';
  return `rename it to ${numbered}${ext} (at least three digits, an underscore or a dash, then lowercase letters, digits, _ and -)`;
}

export const plain: Layout = {
  name: 'plain',
  role: plainRole,
  next: (max, width) => nextNumber(max, Math.max(width, 3), '001'),
  names: (id) => ({ up: `${id}.sql`, down: `${id}.down.sql`, checks: `${id}.checks.yml` }),
};
