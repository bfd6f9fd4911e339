/** Apply a run's pending files on one target, under the applier lock, with a catalog snapshot either side. */
import { diffSnapshots, type SnapshotDiff } from '../deploy/diff.js';
import { describeUnfinished } from '../deploy/foreign-ledger.js';
import { type Drift, planPending } from '../deploy/ledger.js';
import { withAdvisoryLock } from './applier-lock.js';
import { serverVersionNum, withTargetClient } from './client.js';
import type { MigrationFile } from './files.js';
import { readLedgers } from './foreign-ledgers.js';
import { ensureLedger, recordApplied } from './ledger.js';
import { type LockWaitSeen, lockWatch } from './lock-watch.js';
import {
  type ApplyContext,
  type ApplySettings,
  applyFile,
  type FileFailure,
  type FileResult,
  isFailure,
} from './run-file.js';
import { takeSnapshot } from './snapshot.js';
import { loadParser, type Statement, splitStatements, statementProblems, statementsToRun } from './sql.js';

export type ApplyOutcome =
  | { ok: true; applied: FileResult[]; diff: SnapshotDiff; before: CountsSource; after: CountsSource }
  | {
      ok: false;
      kind: 'drift' | 'failed' | 'invalid' | 'busy';
      message: string;
      drift?: Drift[];
      applied: FileResult[];
      failure?: FileFailure;
      diff?: SnapshotDiff;
      before?: CountsSource;
      after?: CountsSource;
    };

type CountsSource = Awaited<ReturnType<typeof takeSnapshot>>;

/** An attempt at `file` gave up waiting for its lock (each time one does): who held it, on which table. */
export type OnLockWait = (w: LockWaitSeen & { readonly file: string }) => void;

/** Apply every pending file up to and including `uptoId` on one target, under the applier lock. */
export async function applyMigrations(
  env: ApplySettings,
  files: readonly MigrationFile[],
  uptoId: string,
  ctx: ApplyContext & { readonly onLockWait?: OnLockWait },
): Promise<ApplyOutcome> {
  await loadParser();
  // Migration files are sent as written (no marker): PostgreSQL's error positions must match the file.
  return withTargetClient(
    env,
    ctx.footprints,
    async (client) => {
      const versionNum = await serverVersionNum(client);
      const locked = await withAdvisoryLock(client, async (): Promise<ApplyOutcome> => {
        await ensureLedger(client);
        const ledgers = await readLedgers(client, files);
        const plan = planPending(files, ledgers.own, uptoId, ledgers.foreign);
        if (plan.unfinished.length)
          return {
            ok: false,
            kind: 'invalid',
            message: plan.unfinished.map((u) => describeUnfinished(u, env.name)).join(' '),
            applied: [],
          };
        if (plan.drift.length)
          return {
            ok: false,
            kind: 'drift',
            message: 'Applied files changed since they were applied.',
            drift: plan.drift,
            applied: [],
          };
        const now = plan.pending.map((f) => f.id);
        if (ctx.expected && now.join('\n') !== ctx.expected.join('\n'))
          return {
            ok: false,
            kind: 'invalid',
            message: `The files pending here changed since preflight listed them (${ctx.expected.join(', ') || 'none'}; now ${now.join(', ') || 'none'}): nothing was applied, since that is not what was approved. Start a new run.`,
            applied: [],
          };
        // Parse every pending file before touching anything: a bad file stops the run with nothing applied.
        const parsed: { file: MigrationFile; statements: Statement[] }[] = [];
        for (const file of plan.pending) {
          const split = splitStatements(file.text, versionNum);
          const problems = split.ok
            ? statementProblems(split.statements, file).map((p) => `${file.fileName} ${p}`)
            : [`${file.fileName}:${split.at.line}:${split.at.column}: ${split.message}`];
          if (!split.ok || problems.length)
            return { ok: false, kind: 'invalid', message: problems.join('; '), applied: [] };
          parsed.push({ file, statements: statementsToRun(split.statements, file) });
        }
        const before = await takeSnapshot(client);
        const applied: FileResult[] = [];
        let applying = '';
        const onLockWait = ctx.onLockWait;
        const watch = lockWatch(
          env.databaseUrl,
          ctx.footprints,
          onLockWait && ((w) => onLockWait({ ...w, file: applying })),
        );
        watch.warm();
        try {
          for (const { file, statements } of parsed) {
            applying = file.fileName;
            const record = recordApplied(file, ctx, ledgers.foreign);
            const r = await applyFile(client, env, file, statements, { ...ctx, lockWatch: watch }, record);
            if (isFailure(r)) {
              const after = await takeSnapshot(client);
              return {
                ok: false,
                kind: 'failed',
                message: `${file.fileName} failed.`,
                applied,
                failure: r,
                diff: diffSnapshots(before, after),
                before,
                after,
              };
            }
            applied.push(r);
          }
        } finally {
          await watch.close();
        }
        const after = await takeSnapshot(client);
        return { ok: true, applied, diff: diffSnapshots(before, after), before, after };
      });
      return locked.ok ? locked.value : { ok: false, kind: 'busy', message: locked.message, applied: [] };
    },
    { mark: false },
  );
}
