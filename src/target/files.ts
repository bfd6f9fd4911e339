import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Check, CheckPlan } from '../deploy/check-schema.js';
import { parseChecks } from '../deploy/checks.js';
import { groupMigrationFiles } from '../deploy/files.js';
import { loadParser, splitStatements } from './sql.js';

export interface MigrationFile {
  readonly id: string;
  readonly version: string;
  readonly path: string;
  readonly fileName: string;
  readonly text: string;
  readonly checksum: string;
  readonly downPath?: string;
  readonly checksPath?: string;
  /** The checks file's text and sha256, read with the migration: a run is bound to these (see checksumsUpTo). */
  readonly checksText?: string;
  readonly checksChecksum?: string;
  /** The down file's sha256: a run is bound to it too (a rollback runs only what the run started with). */
  readonly downChecksum?: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Read the migrations folder. Bad file names are reported with a fix, not skipped silently. */
type Discovered = { readonly migrations: MigrationFile[]; readonly problems: string[] };

/**
 * The folder as last read, by directory: what it held, and each file's name, size and modification time then.
 * A folder whose files are all as they were is not read or hashed again (a run's steps, every card redrawn and
 * every checkpoint judged ask for it); any file added, removed or written since is a new read.
 */
const lastRead = new Map<string, { signature: string; found: Discovered }>();

export function discoverMigrations(dir: string): Discovered {
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => ({ file: d.name, value: join(dir, d.name) }));
  const signature = entries
    .map((e) => {
      const st = statSync(e.value);
      return `${e.file}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
    })
    .sort()
    .join('\n');
  const cached = lastRead.get(dir);
  if (cached?.signature === signature) return cached.found;
  const found = readFolder(entries);
  lastRead.set(dir, { signature, found });
  return found;
}

function readFolder(entries: { file: string; value: string }[]): Discovered {
  const { migrations, problems } = groupMigrationFiles(entries);
  return {
    problems,
    migrations: migrations.map((m) => {
      const text = readFileSync(m.up, 'utf8');
      const checksText = m.checks ? readFileSync(m.checks, 'utf8') : undefined;
      const downText = m.down ? readFileSync(m.down, 'utf8') : undefined;
      return {
        id: m.id,
        version: m.version,
        path: m.up,
        fileName: `${m.id}.sql`,
        text,
        checksum: sha256(text),
        downPath: m.down,
        checksPath: m.checks,
        ...(checksText !== undefined ? { checksText, checksChecksum: sha256(checksText) } : {}),
        ...(downText !== undefined ? { downChecksum: sha256(downText) } : {}),
      };
    }),
  };
}

/** A short fingerprint of a set of checksums: what an approval is bound to. */
export function digestOf(checksums: Readonly<Record<string, string>>): string {
  return sha256(JSON.stringify(Object.entries(checksums).sort(([a], [b]) => (a < b ? -1 : 1)))).slice(0, 16);
}

/**
 * The checksums a run is bound to: every migration up to and including `uptoId` (keyed by id) and its checks file
 * (keyed `<id>.checks.yml`), so neither can change between the environments of one run.
 */
export function checksumsUpTo(migrations: readonly MigrationFile[], uptoId: string): Record<string, string> {
  const end = migrations.findIndex((m) => m.id === uptoId);
  return Object.fromEntries(migrations.slice(0, end + 1).flatMap((m) => fileSums(m)));
}

/** [key, sha256] of a migration and of its checks file, as a run records them. */
export function fileSums(m: MigrationFile): [string, string][] {
  const sums: [string, string][] = [[m.id, m.checksum]];
  if (m.checksChecksum) sums.push([`${m.id}.checks.yml`, m.checksChecksum]);
  if (m.downChecksum) sums.push([`${m.id}.down.sql`, m.downChecksum]);
  return sums;
}

/**
 * The checks beside a migration (NNN_name.checks.yml), validated: the shape, and one statement per SQL text.
 * None when there is no such file.
 */
export async function loadChecks(
  m: MigrationFile,
): Promise<{ ok: true; checks: Check[] } | { ok: false; problems: string[] }> {
  if (!m.checksPath) return { ok: true, checks: [] };
  const name = `${m.id}.checks.yml`;
  let raw: unknown;
  try {
    raw = parseYaml(m.checksText ?? readFileSync(m.checksPath, 'utf8'));
  } catch (e) {
    return { ok: false, problems: [`${name}: not valid YAML: ${(e as Error).message.split('\n')[0]}`] };
  }
  const parsed = parseChecks(raw, name);
  if (!parsed.ok) return parsed;
  const problems = await checkStatementProblems(parsed.checks);
  return problems.length ? { ok: false, problems } : parsed;
}

/** Every SQL text a check sends as written, by the key the check file gives it (catalog checks send the bot's). */
function sqlTexts(plan: CheckPlan): [key: string, sql: string][] {
  if (plan.kind === 'sql') return [['sql', plan.sql]];
  if (plan.kind !== 'concurrent') return [];
  const out: [string, string][] = [];
  if (plan.setup) out.push(['concurrent.setup', plan.setup]);
  out.push(['concurrent.sql', plan.sql], ['then.sql', plan.after.sql]);
  if (plan.cleanup) out.push(['cleanup', plan.cleanup]);
  return out;
}

/**
 * Each SQL text of these checks holds exactly one statement, as PostgreSQL's own parser reads it: a second one
 * could end the check's read-only transaction (`select 1; commit; create table …`). Checks are also sent so
 * that PostgreSQL refuses more than one; this says so when the file is validated, before anything is sent.
 */
export async function checkStatementProblems(checks: readonly Check[]): Promise<string[]> {
  await loadParser();
  const problems: string[] = [];
  for (const c of checks)
    for (const [key, sql] of sqlTexts(c.plan)) {
      const where = `${c.source} \`${c.name}\``;
      const split = splitStatements(sql);
      if (!split.ok)
        problems.push(
          `${where}: ${key} is not valid SQL (line ${split.at.line}, column ${split.at.column}: ${split.message}); fix it and try again`,
        );
      else if (split.statements.length !== 1)
        problems.push(
          `${where}: one statement per ${key}; found ${split.statements.length}. ${
            split.statements.length === 0
              ? 'Write the query to run there.'
              : key === 'sql'
                ? 'A check sends one statement, so that it cannot leave its read-only transaction: put each query in a check of its own.'
                : 'A check sends one statement at a time: combine them into one (a WITH … statement, or a function call).'
          }`,
        );
    }
  return problems;
}
