/**
 * migration-gate lint [--migration <id>]... [--json | --format github] [--pg-version <n>]
 * Lints migration files as preflight does (docs/lint.md), with no database: squawk's rules and ours, at the levels
 * deploy.yml's lint: sets, allows with reasons honoured. `--format github` prints workflow annotations, so a pull
 * request shows each finding on its line.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { configProblem, servicesNotInCli } from './cli-errors.js';
import { loadDeployConfig } from './config.js';
import { ConfigError } from './config-error.js';
import { findMigration } from './deploy/files.js';
import { blocks, countsOf, type LintFinding, type LintReport, where } from './deploy/lint.js';
import { lintMigrations } from './lint/lint-files.js';
import { discoverMigrations, type MigrationFile } from './target/files.js';

export const LINT_USAGE = `Usage: migration-gate lint [--migration <id>]... [--json | --format github] [--pg-version <n>]

  Lints migration files with squawk's rules and migration-gate's own, at the levels deploy.yml's lint: sets
  (docs/lint.md). Needs no database.
  --migration   lint this migration (repeat for more); without it, every migration in the folder
  --json        print the report as JSON
  --format      text (the default) or github: workflow annotations (::error file=…,line=…,col=…::…)
  --pg-version  the PostgreSQL version the files will run on (e.g. 15 or 9.6): some rules depend on it

Exit codes: 0 no error, 1 an error finding (or lint could not run), 2 usage or configuration error.`;

const out = (s: string) => process.stdout.write(`${s}\n`);

function usage(message: string): number {
  process.stderr.write(`${message}\n\n${LINT_USAGE}\n`);
  return 2;
}

/** "15" → 150000, "15.4" → 150004, "9.6" → 90600; undefined when it is not a version. */
export function versionNumOf(text: string): number | undefined {
  const m = /^(\d{1,2})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  if (major < 9) return undefined;
  return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100;
}

/** GitHub's workflow command escaping: a message's %, CR and LF; a property's : and , as well. */
const data = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const property = (s: string) => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** One finding as a GitHub annotation: errors and warnings as such, allowed findings as notices with the reason. */
export function annotation(f: LintFinding, path: string): string {
  const kind = f.allowed !== undefined ? 'notice' : f.level;
  const text = `${f.message}${f.help ? ` ${f.help}` : ''}${f.allowed !== undefined ? ` (allowed: ${f.allowed})` : ''}`;
  return `::${kind} file=${property(path)},line=${f.line},col=${f.column},title=${property(f.rule)}::${data(text)}`;
}

function text(r: LintReport, pathOf: (file: string) => string): string[] {
  const lines = r.problems.map((p) => `error: ${p}`);
  for (const f of r.findings) {
    lines.push(
      `${where({ ...f, file: pathOf(f.file) })}: ${f.allowed !== undefined ? `${f.level} (allowed)` : f.level} ${f.rule}: ${f.message}`,
    );
    if (f.help) lines.push(`  help: ${f.help}`);
    if (f.allowed !== undefined) lines.push(`  allowed: ${f.allowed}`);
  }
  if (r.more) lines.push(`… and ${r.more} more findings not listed.`);
  lines.push(
    `Lint of ${r.files} file${r.files === 1 ? '' : 's'}: ${r.problems.length ? 'could not run' : countsOf(r)}`,
  );
  return lines;
}

export async function lintCommand(argv: string[]): Promise<number> {
  let values: { migration?: string[]; json?: boolean; format?: string; 'pg-version'?: string };
  try {
    values = parseArgs({
      args: argv,
      options: {
        migration: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        format: { type: 'string' },
        'pg-version': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    return usage((e as Error).message);
  }
  const format = values.json ? 'json' : (values.format ?? 'text');
  if (values.json && values.format) return usage('Give --json or --format, not both.');
  if (!['text', 'github', 'json'].includes(format))
    return usage(`There is no format "${format}": use text or github (or --json).`);
  const pg = values['pg-version'];
  const versionNum = pg === undefined ? undefined : versionNumOf(pg);
  if (pg !== undefined && versionNum === undefined)
    return usage(`"${pg}" is not a PostgreSQL version: write it like 15, 15.4 or 9.6.`);
  let deploy: ReturnType<typeof loadDeployConfig>;
  try {
    deploy = loadDeployConfig(process.env.DEPLOY_CONFIG ?? './deploy.yml', process.env, { databasesFor: [] });
  } catch (e) {
    if (e instanceof ConfigError) return usage(configProblem(e));
    throw e;
  }
  if (deploy.services) return usage(servicesNotInCli('lint'));
  const { migrations, problems } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  if (problems.length)
    return usage(`The migrations folder has files with bad names:\n  ${problems.join('\n  ')}`);
  let chosen: MigrationFile[] = migrations;
  if (values.migration?.length) {
    chosen = [];
    for (const wanted of values.migration) {
      const m = findMigration(migrations, wanted);
      if (!m)
        return usage(
          `There is no migration "${wanted}". Available: ${migrations.map((x) => x.id).join(', ')}.`,
        );
      chosen.push(m);
    }
  }
  const report = await lintMigrations(chosen, deploy.lint, versionNum);
  const paths = new Map(chosen.map((m) => [m.fileName, relative(process.cwd(), m.path) || m.path]));
  const pathOf = (file: string) => paths.get(file) ?? file;
  if (format === 'json') out(JSON.stringify({ migrations: chosen.map((m) => m.id), ...report }, null, 2));
  else if (format === 'github') {
    for (const p of report.problems) out(`::error title=migration-gate lint::${data(p)}`);
    for (const f of report.findings) out(annotation(f, pathOf(f.file)));
    out(`Lint of ${report.files} file${report.files === 1 ? '' : 's'}: ${countsOf(report)}`);
  } else for (const line of text(report, pathOf)) out(line);
  return blocks(report) ? 1 : 0;
}
