/**
 * Marking migrations applied on a target without running them (a baseline): under the applier lock, in one
 * transaction, the bot's ledger rows (baselined = true, who, which run) and the rows the project's tool's ledger
 * would hold (foreign-writes.ts), exactly as when the bot applies a file, with no time and no statements.
 */
import { describeUnfinished, TOOL_NAMES } from '../deploy/foreign-ledger.js';
import { type Drift, planPending } from '../deploy/ledger.js';
import { withAdvisoryLock } from './applier-lock.js';
import { LEDGER_SCHEMA, withTargetClient } from './client.js';
import type { MigrationFile } from './files.js';
import type { Footprints } from './footprint.js';
import { readLedgers } from './foreign-ledgers.js';
import { recordForeign } from './foreign-writes.js';
import { ensureLedger } from './ledger.js';

export type BaselineOutcome =
  | { ok: true; files: MigrationFile[]; foreign: string[] }
  | { ok: false; kind: 'drift' | 'invalid' | 'busy'; message: string; drift?: Drift[] };

const INSERT = `insert into ${LEDGER_SCHEMA}.applied_migrations
  (id, version, checksum, applied_by, run_id, duration_ms, statements, outside_transaction, baselined)
  values ($1, $2, $3, $4, $5, 0, 0, null, true)`;

export async function markBaselined(
  env: { name: string; databaseUrl: string },
  files: readonly MigrationFile[],
  uptoId: string,
  ctx: {
    readonly by: string;
    readonly runId: number | null;
    readonly footprints: Footprints;
    /** The ids preflight listed (and the gate approved): anything else now is refused. */
    readonly expected?: readonly string[];
  },
): Promise<BaselineOutcome> {
  return withTargetClient(
    env,
    ctx.footprints,
    async (client) => {
      const locked = await withAdvisoryLock(client, async (): Promise<BaselineOutcome> => {
        await ensureLedger(client);
        const ledgers = await readLedgers(client, files);
        const plan = planPending(files, ledgers.own, uptoId, ledgers.foreign);
        if (plan.unfinished.length)
          return {
            ok: false,
            kind: 'invalid',
            message: plan.unfinished.map((u) => describeUnfinished(u, env.name)).join(' '),
          };
        if (plan.drift.length)
          return {
            ok: false,
            kind: 'drift',
            message: 'Applied files changed since they were applied.',
            drift: plan.drift,
          };
        const now = plan.pending.map((f) => f.id);
        if (ctx.expected && now.join('\n') !== ctx.expected.join('\n'))
          return {
            ok: false,
            kind: 'invalid',
            message: `The files not recorded on ${env.name} changed since preflight listed them (${ctx.expected.join(', ') || 'none'}; now ${now.join(', ') || 'none'}): nothing was marked, since that is not what was approved. Start a new run.`,
          };
        await client.query('begin');
        try {
          for (const f of plan.pending) {
            await client.query(INSERT, [f.id, f.version, f.checksum, ctx.by, ctx.runId]);
            await recordForeign(client, ledgers.foreign, f, { durationMs: 0, sql: [] });
          }
          await client.query('commit');
        } catch (e) {
          await client.query('rollback').catch(() => {});
          throw e;
        }
        return {
          ok: true,
          files: plan.pending,
          foreign: ledgers.foreign.map((l) => `${TOOL_NAMES[l.tool]} (${l.table})`),
        };
      });
      return locked.ok ? locked.value : { ok: false, kind: 'busy', message: locked.message };
    },
    { mark: false },
  );
}
