import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Check, CheckPlan } from '../deploy/check-schema.js';
import { parseChecks } from '../deploy/checks.js';
import { chooseLayout } from '../deploy/layouts/detect.js';
import { groupByLayout } from '../deploy/layouts/group.js';
import { flywayScriptConfig, headerMarker } from '../deploy/layouts/markers.js';
import type { LayoutName, LayoutSetting } from '../deploy/layouts/model.js';
import { loadParser, splitStatements } from './sql.js';

export interface MigrationFile {
  /** The id as the migration's tool writes it (`024_x`, `20240101000000_init`, `V18__index_end_time`). */
  readonly id: string;
  /** The version as that tool's own ledger stores it. */
  readonly version: string;
  readonly path: string;
  /** The up file's path in the folder (`024_x.sql`, `20240101000000_init/migration.sql`), as messages name it. */
  readonly fileName: string;
  /** What is applied and checksummed (dbmate: the `-- migrate:up` section, line numbers kept). */
  readonly text: string;
  readonly checksum: string;
  readonly downPath?: string;
  /** The down file as messages name it, and its text (dbmate: the `-- migrate:down` section). */
  readonly downFileName?: string;
  readonly downText?: string;
  readonly checksPath?: string;
  readonly checksFileName?: string;
  /** The checks file's text and sha256, read with the migration: a run is bound to these (see checksumsUpTo). */
  readonly checksText?: string;
  readonly checksChecksum?: string;
  /** The down file's sha256: a run is bound to it too (a rollback runs only what the run started with). */
  readonly downChecksum?: string;
  /** Why the file runs outside a transaction because it says so (dbmate's `transaction:false`), if it does. */
  readonly noTransaction?: string;
  readonly downNoTransaction?: string;
  /** A single BEGIN; … COMMIT; around the whole file is its transaction (supabase), not an error. */
  readonly transactionWrapper?: boolean;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The folder read through its layout. Bad file names are reported with a fix, not skipped silently. */
export type Discovered = {
  readonly migrations: MigrationFile[];
  readonly problems: string[];
  /** The layout the folder was read in, and why (set in deploy.yml, or the detection rule that matched). */
  readonly layout: { readonly name: LayoutName; readonly reason: string; readonly detected: boolean };
};

/**
 * The folder as last read, by directory and layout: what it held, and each file's path (subfolders one level
 * down included, for prisma's), size, modification time and inode then. A folder whose files are all as they were
 * is not read or hashed again (a run's steps, every card redrawn and every checkpoint judged ask for it); any file
 * added, removed or written since is a new read.
 */
const lastRead = new Map<string, { signature: string; found: Discovered }>();

/** Files in the folder and in its subfolders one level down, as `/`-separated relative paths; hidden ones left out. */
function listFolder(dir: string): { file: string; value: string }[] {
  const out: { file: string; value: string }[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.name.startsWith('.')) continue;
    if (d.isFile()) out.push({ file: d.name, value: join(dir, d.name) });
    else if (d.isDirectory())
      for (const f of readdirSync(join(dir, d.name), { withFileTypes: true }))
        if (f.isFile() && !f.name.startsWith('.'))
          out.push({ file: `${d.name}/${f.name}`, value: join(dir, d.name, f.name) });
  }
  return out;
}

export function discoverMigrations(dir: string, layout: LayoutSetting = 'auto'): Discovered {
  const entries = listFolder(dir);
  const signature = entries
    .map((e) => {
      const st = statSync(e.value);
      return `${e.file}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
    })
    .sort()
    .join('\n');
  const key = `${layout}\0${dir}`;
  const cached = lastRead.get(key);
  if (cached?.signature === signature) return cached.found;
  const found = readFolder(dir, layout, entries);
  lastRead.set(key, { signature, found });
  return found;
}

function readFolder(
  dir: string,
  setting: LayoutSetting,
  entries: { file: string; value: string }[],
): Discovered {
  const texts = new Map<string, string>();
  const read = (abs: string) => {
    const known = texts.get(abs);
    if (known !== undefined) return known;
    const text = readFileSync(abs, 'utf8');
    texts.set(abs, text);
    return text;
  };
  const byRel = new Map(entries.map((e) => [e.file, e.value]));
  const chosen = chooseLayout(
    setting,
    entries.map((e) => e.file),
    dir,
    (rel) => read(byRel.get(rel)!),
  );
  const { layout } = chosen;
  const grouped = groupByLayout(
    layout,
    entries.map((e) => ({ path: e.file, value: e.value })),
  );
  const problems = [...grouped.problems];
  const migrations: MigrationFile[] = [];
  for (const m of grouped.migrations) {
    const whole = read(m.up);
    const sections = layout.sections ? layout.sections(whole) : { up: whole };
    if ('problem' in sections) {
      problems.push(`${m.upPath}: ${sections.problem}`);
      continue;
    }
    const checksText = m.checks ? read(m.checks) : undefined;
    const downText = m.down ? read(m.down) : sections.down;
    // Asked to run outside a transaction: dbmate's option, a marker in the file, or a Flyway script's .conf.
    const conf = (rel?: string) =>
      rel && byRel.has(`${rel}.conf`)
        ? flywayScriptConfig(read(byRel.get(`${rel}.conf`)!), `${rel}.conf`)
        : undefined;
    const noTransaction = sections.noTransaction ?? headerMarker(sections.up) ?? conf(m.upPath);
    const downNoTransaction =
      sections.downNoTransaction ?? (m.down ? (headerMarker(downText ?? '') ?? conf(m.downPath)) : undefined);
    migrations.push({
      id: m.id,
      version: m.version,
      path: m.up,
      fileName: m.upPath,
      text: sections.up,
      checksum: sha256(sections.up),
      ...(m.down ? { downPath: m.down, downFileName: m.downPath } : {}),
      ...(!m.down && sections.down !== undefined
        ? { downPath: m.up, downFileName: `${m.upPath} (-- migrate:down)` }
        : {}),
      ...(downText !== undefined ? { downText, downChecksum: sha256(downText) } : {}),
      ...(m.checks ? { checksPath: m.checks, checksFileName: m.checksPath } : {}),
      ...(checksText !== undefined ? { checksText, checksChecksum: sha256(checksText) } : {}),
      ...(noTransaction ? { noTransaction } : {}),
      ...(downNoTransaction ? { downNoTransaction } : {}),
      ...(layout.wrapper ? { transactionWrapper: true } : {}),
    });
  }
  return {
    problems,
    migrations,
    layout: { name: layout.name, reason: chosen.reason, detected: chosen.detected },
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
  const name = m.checksFileName ?? `${m.id}.checks.yml`;
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
