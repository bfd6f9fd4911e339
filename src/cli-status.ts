/**
 * migration-gate status [--env <environment>]... [--json]
 * What is applied where: each environment's ledgers (the bot's own and those other tools keep) against the folder,
 * drift, what a deploy would apply, and the runs in flight from the bot's state database (DATABASE_URL).
 * docs/ci.md.
 */
import { parseArgs } from 'node:util';
import { sayForCli } from './cli-errors.js';
import { openProject, table } from './cli-table.js';
import { cellOf, type EnvStatus, envStatus, statusExitCode, unread } from './deploy/env-status.js';
import { describeUnfinished } from './deploy/foreign-ledger.js';
import { inFlight, type RunInFlight, whereNow } from './deploy/in-flight.js';
import { describeDrift } from './deploy/ledger.js';
import { openStore } from './store/db.js';
import { measureFor, storeFootprints } from './store/footprints.js';
import { runsInFlight } from './store/in-flight.js';
import { withTargetClient } from './target/client.js';
import { describeTargetError } from './target/connect-errors.js';
import { unrecorded } from './target/footprint.js';
import { readLedgers } from './target/foreign-ledgers.js';

export const STATUS_USAGE = `Usage: migration-gate status [--env <environment>]... [--json]

  What is applied where: per environment, the migrations its ledgers record (the bot's and those Prisma, Flyway,
  golang-migrate, dbmate or Supabase keep), drift, what a deploy would apply; and the runs in flight, from the bot's
  state database when DATABASE_URL is set.
  --env   this environment (repeat for more); without it, every environment in deploy.yml
  --json  print it as JSON (docs/ci.md lists its fields)

Exit codes: 0 no drift, 1 drift or a migration another tool left unfinished (a deploy would stop at preflight),
2 usage or configuration error, or an environment's database could not be read (its variable unset, unreachable).`;

export const NO_STATE_DATABASE =
  "Runs in flight are not shown: DATABASE_URL (the bot's state database) is not set.";

const out = (s: string) => process.stdout.write(`${s}\n`);

function usage(message: string): number {
  process.stderr.write(`${message}\n\n${STATUS_USAGE}\n`);
  return 2;
}

export async function statusCommand(argv: string[]): Promise<number> {
  let values: { env?: string[]; json?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: { env: { type: 'string', multiple: true }, json: { type: 'boolean' } },
      strict: true,
    }).values;
  } catch (e) {
    return usage((e as Error).message);
  }
  const project = openProject(values.env ?? []);
  if (!project.ok) return usage(project.problem);
  const { deploy, envs, migrations } = project;
  const store = process.env.DATABASE_URL ? await openStore(process.env.DATABASE_URL) : undefined;
  try {
    const footprints = store ? storeFootprints(store.db, measureFor(deploy.monitoring.metrics)) : unrecorded;
    const statuses = await Promise.all(
      envs.map((env): Promise<EnvStatus> => {
        if (!env.databaseUrl)
          return Promise.resolve(
            unread(
              env.name,
              `${env.name}: not read, ${env.databaseVar} is not set (or is not a postgres:// URL).`,
            ),
          );
        return withTargetClient(env, footprints, async (c) => {
          const version = (await c.query<{ v: string }>("select current_setting('server_version') as v"))
            .rows[0]!.v;
          return envStatus(env.name, migrations, await readLedgers(c, migrations), version);
        }).catch((e: unknown) => unread(env.name, sayForCli(describeTargetError(env, e))));
      }),
    );
    const names = new Set(envs.map((e) => e.name));
    const runs = store
      ? (await runsInFlight(store.db)).map(inFlight).filter((r) => r.environments.some((e) => names.has(e)))
      : null;
    if (values.json) out(JSON.stringify({ environments: statuses, runsInFlight: runs }, null, 2));
    else for (const line of text(migrations, statuses, runs)) out(sayForCli(line));
    return statusExitCode(statuses);
  } finally {
    await store?.close();
  }
}

function text(
  files: readonly { id: string }[],
  envs: readonly EnvStatus[],
  runs: readonly RunInFlight[] | null,
): string[] {
  const lines = [
    table([
      ['Migration', ...envs.map((e) => e.env)],
      ...files.map((f) => [f.id, ...envs.map((e) => cellOf(e, f.id))]),
    ]),
    '',
  ];
  for (const e of envs) {
    if (!e.read) {
      lines.push(e.problem ?? `${e.env}: not read.`);
      continue;
    }
    const foreign = e.applied.filter((a) => a.recordedBy !== 'migration-gate');
    const by = [...new Set(foreign.map((a) => a.recordedBy))];
    lines.push(
      `${e.env} (PostgreSQL ${e.serverVersion}): ${e.applied.length} applied${by.length ? ` (${foreign.length} recorded by ${by.join(', ')})` : ''}, ${e.pending.length} pending, ${e.drift.length ? `${e.drift.length} drifted` : 'no drift'}`,
    );
    for (const d of e.drift) lines.push(`  ${describeDrift(d, e.env)}`);
    for (const u of e.unfinished) lines.push(`  ${describeUnfinished(u, e.env)}`);
    if (e.unknown.length)
      lines.push(
        `  Recorded with no file in the folder: ${e.unknown.map((u) => `${u.id} (${u.recordedBy})`).join(', ')}.`,
      );
    if (e.outOfOrder.length)
      lines.push(`  Pending but older than the newest applied migration: ${e.outOfOrder.join(', ')}.`);
  }
  lines.push('');
  if (!runs) lines.push(NO_STATE_DATABASE);
  else if (!runs.length) lines.push('No runs in flight.');
  else
    lines.push(
      'Runs in flight:',
      table([
        ['Run', 'Migration', 'Requested by', 'Started', 'Now', 'Environments'],
        ...runs.map((r) => [
          `#${r.id}`,
          r.migration,
          r.requestedBy,
          `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC`,
          whereNow(r),
          r.environments.join(' → '),
        ]),
      ]),
    );
  return lines;
}
