/**
 * keepFor, on the scheduler's tick: backups older than their environment's keepFor (default 30 days) are dropped
 * from the target, and what was removed is recorded in the audit log (`backup.removed`: each copy's table, rows and
 * size). Only environments with a backup due are connected to; one that cannot be reached is tried again later.
 */
import { DEFAULT_KEEP_MS } from '../deploy/backups.js';
import { dueBackups, recordRemoval } from '../store/backups.js';
import { dropBackups } from '../target/backup-prune.js';
import { withTargetClient } from '../target/client.js';
import { describeTargetError } from '../target/connect-errors.js';
import type { Deps } from './deps.js';

/** How long an environment whose target could not be reached waits before its old backups are tried again. */
const RETRY_MS = 10 * 60_000;

export function createBackupTick(deps: Deps): (now: Date) => Promise<number> {
  const retryAt = new Map<string, number>();
  return async (now) => {
    let removedRuns = 0;
    for (const env of deps.deploy.environments) {
      if ((retryAt.get(env.name) ?? 0) > now.getTime()) continue;
      const keptForMs = env.backup?.keepForMs ?? DEFAULT_KEEP_MS;
      for (const due of await dueBackups(deps.db, env.name, new Date(now.getTime() - keptForMs))) {
        const names = due.result?.tables.map((t) => t.backup) ?? [];
        let removed: Awaited<ReturnType<typeof dropBackups>> = [];
        if (names.length)
          try {
            removed = await withTargetClient(env, deps.footprints, (c) => dropBackups(c, due.runId, names));
          } catch (e) {
            deps.log.warn(
              { env: env.name, runId: due.runId, problem: describeTargetError(env, e) },
              'could not remove an old backup; trying again in 10 minutes',
            );
            retryAt.set(env.name, now.getTime() + RETRY_MS);
            break;
          }
        const alreadyGone = names.filter((b) => !removed.some((r) => r.backup === b));
        const detail = {
          step: due.index,
          env: env.name,
          keptForMs,
          removed,
          alreadyGone,
          ...(due.problem ? { problem: due.problem } : {}),
        };
        if (!(await recordRemoval(deps.db, due.runId, detail))) continue;
        removedRuns++;
        deps.log.info(
          { env: env.name, runId: due.runId, removed, alreadyGone },
          `removed run #${due.runId}'s backup on ${env.name} after keepFor`,
        );
      }
    }
    return removedRuns;
  };
}
