/** Roll back: run down files through the same executor, newest first, and take the ledger rows out. */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { LayoutName } from '../deploy/layouts/model.js';
import { noDownFile } from '../deploy/rollback-plan.js';
import { withAdvisoryLock } from './applier-lock.js';
import { LEDGER_SCHEMA, serverVersionNum, withTargetClient } from './client.js';
import { type MigrationFile, sha256 } from './files.js';
import { readLedgers } from './foreign-ledgers.js';
import { forgetForeign } from './foreign-writes.js';
import { ensureLedger } from './ledger.js';
import {
  type ApplyContext,
  type ApplySettings,
  applyFile,
  type FileFailure,
  type FileResult,
  isFailure,
} from './run-file.js';
import { takeSnapshot } from './snapshot.js';
import { loadParser, splitStatements, statementProblems, statementsToRun } from './sql.js';

export type RollbackOutcome =
  | { ok: true; rolledBack: FileResult[]; skipped: string[]; after: Awaited<ReturnType<typeof takeSnapshot>> }
  | { ok: false; message: string; rolledBack: FileResult[]; failure?: FileFailure };

const MOVE_TO_HISTORY = `with gone as (delete from ${LEDGER_SCHEMA}.applied_migrations where id = $1 returning *)
  insert into ${LEDGER_SCHEMA}.rolled_back_migrations (id, version, checksum, applied_at, rolled_back_by, run_id, reason, duration_ms)
  select id, version, checksum, applied_at, $2, $3, $4, $5 from gone`;

/** Files without a down file cannot be rolled back by the bot: say which, before doing anything. */
export function missingDownFiles(files: readonly MigrationFile[]): string[] {
  return files.filter((f) => !f.downPath).map((f) => f.id);
}

export async function rollbackMigrations(
  env: ApplySettings,
  files: readonly MigrationFile[],
  ctx: ApplyContext & {
    reason: string;
    /** The whole folder, in order: golang-migrate's version goes back to the file before the one undone. */
    folder?: readonly MigrationFile[];
    /** The folder's layout, which names the down file a migration lacks (`U1__x.sql`, `<folder>/down.sql`). */
    layout?: LayoutName;
  },
): Promise<RollbackOutcome> {
  await loadParser();
  const missing = missingDownFiles(files);
  if (missing.length)
    return {
      ok: false,
      rolledBack: [],
      message: noDownFile(
        files.filter((f) => missing.includes(f.id)),
        ctx.layout,
      ),
    };
  const downs = [...files].reverse().map((f) => {
    const text = f.downText ?? readFileSync(f.downPath!, 'utf8');
    const fileName = f.downFileName ?? `${f.id}.down.sql`;
    return {
      ...f,
      path: f.downPath!,
      fileName,
      text,
      checksum: sha256(text),
      noTransaction: f.downNoTransaction,
    };
  });
  return withTargetClient(
    env,
    ctx.footprints,
    async (client) => {
      const versionNum = await serverVersionNum(client);
      const locked = await withAdvisoryLock(client, async (): Promise<RollbackOutcome> => {
        await ensureLedger(client);
        const ledgers = await readLedgers(client);
        const applied = new Set(ledgers.own.map((l) => l.id));
        const folder = ctx.folder ?? files;
        const previous = (id: string) => folder[folder.findIndex((f) => f.id === id) - 1]?.version ?? null;
        const rolledBack: FileResult[] = [];
        const skipped: string[] = [];
        for (const down of downs) {
          if (!applied.has(down.id)) {
            skipped.push(down.id);
            continue;
          }
          const split = splitStatements(down.text, versionNum);
          const problems = split.ok
            ? statementProblems(split.statements, down)
            : [`${split.at.line}:${split.at.column}: ${split.message}`];
          if (!split.ok || problems.length)
            return { ok: false, rolledBack, message: `${down.fileName}: ${problems.join('; ')}` };
          const record = async (c: pg.ClientBase, r: { durationMs: number }) => {
            await c.query(MOVE_TO_HISTORY, [down.id, ctx.appliedBy, ctx.runId, ctx.reason, r.durationMs]);
            await forgetForeign(
              c,
              ledgers.foreign,
              down,
              { ...down, durationMs: r.durationMs },
              previous(down.id),
            );
          };
          const r = await applyFile(client, env, down, statementsToRun(split.statements, down), ctx, record);
          if (isFailure(r)) return { ok: false, rolledBack, failure: r, message: `${down.fileName} failed.` };
          rolledBack.push(r);
        }
        return { ok: true, rolledBack, skipped, after: await takeSnapshot(client) };
      });
      return locked.ok ? locked.value : { ok: false, rolledBack: [], message: locked.message };
    },
    { mark: false },
  );
}
