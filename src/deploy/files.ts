/** Migration file naming rules: NNN_name.sql, NNN_name.down.sql, NNN_name.checks.yml. Pure. */

export type FileKind = 'up' | 'down' | 'checks';

export type ParsedFileName =
  | { ok: true; version: string; name: string; id: string; kind: FileKind }
  | { ok: false; problem: string };

const PATTERN = /^(\d{3,})_([a-z0-9][a-z0-9_]*)(\.down\.sql|\.checks\.yml|\.sql)$/;

export function parseMigrationFileName(file: string): ParsedFileName {
  const m = PATTERN.exec(file);
  if (m) {
    const kind: FileKind = m[3] === '.sql' ? 'up' : m[3] === '.down.sql' ? 'down' : 'checks';
    return { ok: true, version: m[1]!, name: m[2]!, id: `${m[1]}_${m[2]}`, kind };
  }
  return { ok: false, problem: `${file}: ${fixIt(file)}` };
}

function fixIt(file: string): string {
  const stem = file.replace(/(\.down\.sql|\.checks\.yml|\.checks\.yaml|\.sql)$/i, '');
  const suggestion = stem
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const numbered = /^\d{3,}_/.test(suggestion) ? suggestion : `NNN_${suggestion.replace(/^\d+_?/, '')}`;
  if (/\.checks\.yaml$/i.test(file)) return `rename it to ${numbered}.checks.yml (the extension is .yml)`;
  if (!/\.(sql|yml)$/i.test(file))
    return 'not a migration file; name migrations NNN_name.sql (with optional NNN_name.down.sql and NNN_name.checks.yml)';
  const ext = /\.down\.sql$/i.test(file) ? '.down.sql' : /\.yml$/i.test(file) ? '.checks.yml' : '.sql';
  return `rename it to ${numbered}${ext} (at least three digits, an underscore, then lowercase letters, digits and _)`;
}

/** Files that are meant as migrations (and so must be named right); anything else in the folder is ignored. */
export function looksLikeMigration(file: string): boolean {
  if (file.startsWith('.')) return false;
  return /\.sql$/i.test(file) || /\.checks\.ya?ml$/i.test(file) || /^\d/.test(file);
}

export interface MigrationSet<T> {
  readonly id: string;
  readonly version: string;
  readonly up: T;
  readonly down?: T;
  readonly checks?: T;
}

/** Group files by migration and check that versions are unique and every down/checks file has an up file. */
export function groupMigrationFiles<T>(entries: readonly { file: string; value: T }[]): {
  migrations: MigrationSet<T>[];
  problems: string[];
} {
  const problems: string[] = [];
  const byId = new Map<string, { version: string; up?: T; down?: T; checks?: T; files: string[] }>();
  for (const { file, value } of entries) {
    if (!looksLikeMigration(file)) continue;
    const p = parseMigrationFileName(file);
    if (!p.ok) {
      problems.push(p.problem);
      continue;
    }
    const slot = byId.get(p.id) ?? { version: p.version, files: [] };
    slot[p.kind] = value;
    slot.files.push(file);
    byId.set(p.id, slot);
  }
  const versions = new Map<string, string>();
  const migrations: MigrationSet<T>[] = [];
  for (const [id, slot] of [...byId].sort(([a], [b]) => compareIds(a, b))) {
    if (slot.up === undefined) {
      problems.push(`${slot.files.join(', ')}: there is no ${id}.sql beside it`);
      continue;
    }
    const other = versions.get(slot.version);
    if (other) {
      problems.push(
        `${id}.sql: version ${slot.version} is also used by ${other}.sql; give each migration its own number`,
      );
      continue;
    }
    versions.set(slot.version, id);
    migrations.push({ id, version: slot.version, up: slot.up, down: slot.down, checks: slot.checks });
  }
  return { migrations, problems };
}

export function compareIds(a: string, b: string): number {
  const na = BigInt(a.split('_')[0]!);
  const nb = BigInt(b.split('_')[0]!);
  return na < nb ? -1 : na > nb ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** Find a migration by exact id, id + ".sql", or its version number. */
export function findMigration<T extends { id: string; version: string }>(
  all: readonly T[],
  wanted: string,
): T | undefined {
  const w = wanted.replace(/\.sql$/, '');
  return all.find((m) => m.id === w) ?? all.find((m) => m.version === w || String(Number(m.version)) === w);
}
