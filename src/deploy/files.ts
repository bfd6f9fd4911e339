/**
 * Migration files, whatever the folder's layout (src/deploy/layouts/): the plain layout's names as before
 * (NNN_name.sql, NNN_name.down.sql, NNN_name.checks.yml), ordering, and finding a migration by what a person
 * types. Pure.
 */
import { groupByLayout } from './layouts/group.js';
import type { PartKind } from './layouts/model.js';
import { plain, plainFix, plainRole } from './layouts/plain.js';

export { looksLikeMigration } from './layouts/plain.js';

export type FileKind = PartKind;

export type ParsedFileName =
  | { ok: true; version: string; name: string; id: string; kind: FileKind }
  | { ok: false; problem: string };

/** One file's name in the plain layout (a misnamed file's suggestion takes 001 as the next number). */
export function parseMigrationFileName(file: string): ParsedFileName {
  const role = plainRole(file);
  if (role && 'kind' in role)
    return {
      ok: true,
      version: role.version,
      name: role.id.slice(role.version.length + 1),
      id: role.id,
      kind: role.kind,
    };
  return { ok: false, problem: role ? role.problem('001') : `${file}: ${plainFix(file, '001')}` };
}

export interface MigrationSet<T> {
  readonly id: string;
  readonly version: string;
  readonly up: T;
  readonly down?: T;
  readonly checks?: T;
}

/** Group files of the plain layout by migration (see groupByLayout for any layout). */
export function groupMigrationFiles<T>(entries: readonly { file: string; value: T }[]): {
  migrations: MigrationSet<T>[];
  problems: string[];
} {
  const g = groupByLayout(
    plain,
    entries.map((e) => ({ path: e.file, value: e.value })),
  );
  return {
    problems: g.problems,
    migrations: g.migrations.map((m) => ({
      id: m.id,
      version: m.version,
      up: m.up,
      down: m.down,
      checks: m.checks,
    })),
  };
}

export function compareIds(a: string, b: string): number {
  const na = BigInt(/^\D*(\d+)/.exec(a)?.[1] ?? '0');
  const nb = BigInt(/^\D*(\d+)/.exec(b)?.[1] ?? '0');
  return na < nb ? -1 : na > nb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** "024", "24", "V1.01", "1.1" → "24", "1.1": a number or dotted version as Flyway compares them; else undefined. */
function numeric(text: string): string | undefined {
  const m = /^[Vv]?(\d+(?:[._]\d+)*)$/.exec(text.trim());
  if (!m) return undefined;
  const parts = m[1]!.split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts.at(-1) === 0n) parts.pop();
  return parts.join('.');
}

/**
 * Find a migration by what a person types: its id as the tool writes it (`V18__index_end_time`,
 * `0190_2.16.0_schema`), its file name or path (`…/migration.sql`, `….up.sql`, `….sql`), or its number or version
 * (`24` finds `024_x`; `1.1` finds `V1_1__x`).
 */
export function findMigration<T extends { id: string; version: string; fileName?: string }>(
  all: readonly T[],
  wanted: string,
): T | undefined {
  const w = wanted.trim();
  const byName = all.find((m) => m.id === w || m.fileName === w);
  if (byName) return byName;
  const stem = w
    .replace(/\/(migration|down)\.sql$/, '')
    .replace(/\/$/, '')
    .replace(/(\.up|\.down)?\.sql$/, '');
  const byStem = all.find((m) => m.id === stem);
  if (byStem) return byStem;
  const n = numeric(w);
  if (n === undefined) return all.find((m) => m.version === w);
  return all.find((m) => {
    const lead = /^(\d+)_/.exec(m.id)?.[1];
    return m.version === w || numeric(m.version) === n || (lead !== undefined && numeric(lead) === n);
  });
}
