/**
 * migration-gate plan --env <environment> [--migration <id>] [--json]
 * What a deploy would apply on one environment, in order, with lint's findings, the lock trace measured where each
 * file was last applied (from the bot's state database, DATABASE_URL) and the traced tables' sizes there, and
 * every reason its preflight would stop. Applies nothing. docs/ci.md.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { sayForCli } from './cli-errors.js';
import { openProject, table } from './cli-table.js';
import { type EnvPlan, lintCell } from './deploy/env-plan.js';
import { findMigration } from './deploy/files.js';
import { traceLines } from './deploy/known-traces.js';
import { where } from './deploy/lint.js';
import { readPlan } from './plan-read.js';
import { openStore } from './store/db.js';
import { measureFor, storeFootprints } from './store/footprints.js';
import { describeTargetError } from './target/connect-errors.js';
import { unrecorded } from './target/footprint.js';

export const PLAN_USAGE = `Usage: migration-gate plan --env <environment> [--migration <id>] [--json]

  What a deploy would apply on <environment>, in order (up to --migration, default the newest in the folder),
  with lint's findings, the lock trace measured where each file was last applied (needs DATABASE_URL, the bot's
  state database) and the traced tables' sizes on <environment>. It applies nothing.
  --json  print the plan as JSON (docs/ci.md lists its fields)

Exit codes: 0 a deploy would pass preflight, 1 it would stop there (drift, a lint error no allow lets through, a
migration another tool left unfinished, a file that does not parse, check files that are not valid), 2 usage,
configuration, or the environment's database could not be read.`;

const out = (s: string) => process.stdout.write(`${s}\n`);

function usage(message: string): number {
  process.stderr.write(`${message}\n\n${PLAN_USAGE}\n`);
  return 2;
}

export async function planCommand(argv: string[]): Promise<number> {
  let values: { env?: string; migration?: string; json?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { env: { type: 'string' }, migration: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (e) {
    return usage((e as Error).message);
  }
  const project = openProject(values.env ? [values.env] : []);
  if (!project.ok) return usage(project.problem);
  const { deploy, migrations } = project;
  if (!values.env)
    return usage(`Say which environment with --env (${deploy.environments.map((e) => e.name).join(', ')}).`);
  const env = project.envs[0]!;
  const upTo = values.migration ? findMigration(migrations, values.migration) : migrations.at(-1);
  if (!upTo)
    return usage(
      values.migration
        ? `There is no migration "${values.migration}". Available: ${migrations.map((m) => m.id).join(', ')}.`
        : `The migrations folder ${deploy.migrationsDir} has no migrations.`,
    );
  const store = process.env.DATABASE_URL ? await openStore(process.env.DATABASE_URL) : undefined;
  try {
    const footprints = store ? storeFootprints(store.db, measureFor(deploy.monitoring.metrics)) : unrecorded;
    let read: Awaited<ReturnType<typeof readPlan>>;
    try {
      read = await readPlan(deploy, env, migrations, upTo.id, footprints, store);
    } catch (e) {
      process.stderr.write(`${sayForCli(describeTargetError(env, e))}\n`);
      return 2;
    }
    const paths = new Map(migrations.map((m) => [m.fileName, relative(process.cwd(), m.path) || m.path]));
    if (values.json) out(JSON.stringify({ ...read.plan, notes: read.notes }, null, 2));
    else for (const line of text(read.plan, read.notes, (f) => paths.get(f) ?? f)) out(sayForCli(line));
    return read.plan.blockers.length ? 1 : 0;
  } finally {
    await store?.close();
  }
}

function text(p: EnvPlan, notes: readonly string[], pathOf: (file: string) => string): string[] {
  const n = p.pending.length;
  const lines = [
    n
      ? `Plan for ${p.env} (PostgreSQL ${p.serverVersion}): ${n === 1 ? '1 file' : `${n} files`} to apply, in this order, up to ${p.upTo}`
      : `Plan for ${p.env} (PostgreSQL ${p.serverVersion}): nothing to apply up to ${p.upTo}.`,
  ];
  if (n) {
    const measured = (f: EnvPlan['pending'][number]) =>
      f.lockTrace ? `on ${f.lockTrace.measuredOn} (run #${f.lockTrace.runId})` : 'not measured';
    lines.push(
      '',
      table([
        ['#', 'File', 'Statements', 'Transaction', 'Lint', 'Lock trace'],
        ...p.pending.map((f, i) => [
          String(i + 1),
          f.file,
          f.statements === null ? 'does not parse' : String(f.statements),
          f.outsideTransaction ? `none: ${f.outsideTransaction}` : 'one per file',
          lintCell(f.lint),
          measured(f),
        ]),
      ]),
    );
  }
  if (p.lint?.findings.length || p.lint?.problems.length) {
    lines.push('', 'Lint:');
    for (const pr of p.lint.problems) lines.push(`  error: ${pr}`);
    for (const f of p.lint.findings) {
      const level = f.allowed !== undefined ? `${f.level} (allowed: ${f.allowed})` : f.level;
      lines.push(`  ${where({ ...f, file: pathOf(f.file) })}: ${level} ${f.rule}: ${f.message}`);
      if (f.help) lines.push(`    help: ${f.help}`);
    }
    if (p.lint.more) lines.push(`  … and ${p.lint.more} more findings not listed.`);
  }
  if (n) {
    lines.push('', `Lock trace (measured where each file was last applied; sizes on ${p.env} now):`);
    if (!p.lockTracesRead)
      lines.push("  DATABASE_URL (the bot's state database) is not set, so no stored apply was read.");
    for (const f of p.pending)
      for (const l of traceLines(f.file, f.lockTrace, p.env, p.relationSizes, p.lockTracesRead))
        lines.push(`  ${l}`);
  }
  if (p.heldBy)
    lines.push(
      '',
      `${p.env} is held by run #${p.heldBy.runId} (requested by ${p.heldBy.requestedBy}): a new deploy there is refused until that run ends.`,
    );
  if (p.unknown.length)
    lines.push(
      '',
      `Recorded on ${p.env} with no file in the folder: ${p.unknown.map((u) => u.id).join(', ')}.`,
    );
  if (p.outOfOrder.length)
    lines.push(
      '',
      `Older than the newest applied migration (applied out of order): ${p.outOfOrder.join(', ')}.`,
    );
  for (const note of notes) lines.push('', note);
  lines.push('');
  if (!p.blockers.length) lines.push(`Nothing would stop a deploy on ${p.env} at preflight.`);
  else {
    lines.push(
      `A deploy on ${p.env} would stop at preflight (${p.blockers.length === 1 ? '1 reason' : `${p.blockers.length} reasons`}):`,
    );
    for (const b of p.blockers) lines.push(`  - ${b}`);
  }
  return lines;
}
