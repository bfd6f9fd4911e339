import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Check, parseChecks } from '../deploy/checks.js';
import { groupMigrationFiles } from '../deploy/files.js';

export interface MigrationFile {
  readonly id: string;
  readonly version: string;
  readonly path: string;
  readonly fileName: string;
  readonly text: string;
  readonly checksum: string;
  readonly downPath?: string;
  readonly checksPath?: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Read the migrations folder. Bad file names are reported with a fix, not skipped silently. */
export function discoverMigrations(dir: string): { migrations: MigrationFile[]; problems: string[] } {
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => ({ file: d.name, value: join(dir, d.name) }));
  const { migrations, problems } = groupMigrationFiles(entries);
  return {
    problems,
    migrations: migrations.map((m) => {
      const text = readFileSync(m.up, 'utf8');
      return {
        id: m.id,
        version: m.version,
        path: m.up,
        fileName: `${m.id}.sql`,
        text,
        checksum: sha256(text),
        downPath: m.down,
        checksPath: m.checks,
      };
    }),
  };
}

/** A short fingerprint of a set of checksums: what an approval is bound to. */
export function digestOf(checksums: Readonly<Record<string, string>>): string {
  return sha256(JSON.stringify(Object.entries(checksums).sort(([a], [b]) => (a < b ? -1 : 1)))).slice(0, 16);
}

/** The checksums of every file up to and including `uptoId`, in order. */
export function checksumsUpTo(migrations: readonly MigrationFile[], uptoId: string): Record<string, string> {
  const end = migrations.findIndex((m) => m.id === uptoId);
  return Object.fromEntries(migrations.slice(0, end + 1).map((m) => [m.id, m.checksum]));
}

/** The checks beside a migration (NNN_name.checks.yml); none when there is no such file. */
export function loadChecks(
  m: MigrationFile,
): { ok: true; checks: Check[] } | { ok: false; problems: string[] } {
  if (!m.checksPath) return { ok: true, checks: [] };
  const name = `${m.id}.checks.yml`;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(m.checksPath, 'utf8'));
  } catch (e) {
    return { ok: false, problems: [`${name}: not valid YAML: ${(e as Error).message.split('\n')[0]}`] };
  }
  return parseChecks(raw, name);
}
