/**
 * A rollback gate's view: the plan, and what its down files would lose (read from their parse trees, as the backup
 * step reads the up files) with how many tables this run's backup copied on that environment, for the card's
 * data-loss line (deploy/rollback-loss.ts).
 */
import { readFileSync } from 'node:fs';
import { mergeTouched, type TouchedSet, touchedTables } from '../deploy/backup-plan.js';
import { isRestoreGate } from '../deploy/restores.js';
import type { RollbackPlan } from '../deploy/rollback-plan.js';
import { serviceKey } from '../deploy/service-files.js';
import { latestResult, type StepResults } from '../deploy/step-results.js';
import type { Run } from '../deploy/types.js';
import { parseMigration } from '../lint/parse.js';
import { restoreGateView } from '../slack/backup-blocks.js';
import type { GateView } from '../slack/gate-blocks.js';
import { discoverMigrations } from '../target/files.js';
import { loadParser } from '../target/sql.js';
import { folderOf } from '../targets.js';
import type { Deps } from './deps.js';

/** The services applied on the environment of step `index`, in order (none for one database). */
const servicesAt = (run: Run, index: number): (string | undefined)[] => {
  const env = run.steps[index]!.env;
  const services = [
    ...new Set(
      run.steps.flatMap((s) => (s.env === env && s.name === 'apply' && s.service ? [s.service] : [])),
    ),
  ];
  return services.length ? services : [undefined];
};

/** What the down files of `plan.undo` drop or rewrite; a file that does not parse adds nothing (its rollback says why). */
async function downTouched(deps: Deps, run: Run, index: number, plan: RollbackPlan): Promise<TouchedSet> {
  await loadParser();
  const sets: TouchedSet[] = [];
  for (const service of servicesAt(run, index)) {
    const { dir, layout } = folderOf(deps.deploy, service);
    const key = (id: string) => (service === undefined ? id : serviceKey(service, id));
    for (const m of discoverMigrations(dir, layout).migrations) {
      if (!m.downPath || !plan.undo.includes(key(m.id))) continue;
      const parsed = parseMigration(m.downText ?? readFileSync(m.downPath, 'utf8'));
      if (parsed.ok) sets.push(touchedTables(parsed.file.statements));
    }
  }
  return mergeTouched(sets);
}

/** How many tables this run's backups copied on the environment of step `index` (undefined: none was taken). */
function backedUp(run: Run, results: StepResults, index: number): number | undefined {
  const env = run.steps[index]!.env;
  const backups = servicesAt(run, index).flatMap((service) => {
    const b = latestResult(results, 'backup', env, index, service);
    return b ? [b] : [];
  });
  return backups.length ? backups.reduce((n, b) => n + (b.ok ? b.tables.length : 0), 0) : undefined;
}

/** A rollback-purpose gate's view: a restore gate's lines, or the rollback's plan and what it would lose. */
export async function rollbackGateView(
  deps: Deps,
  run: Run,
  results: StepResults,
  index: number,
  plan: RollbackPlan,
): Promise<Pick<GateView, 'rollback' | 'loss' | 'restore'>> {
  if (isRestoreGate(run, index)) return { rollback: plan, ...restoreGateView(run, results, index) };
  const down = plan.undo.length ? await downTouched(deps, run, index, plan) : undefined;
  return {
    rollback: plan,
    ...(down && (down.tables.length || down.schemas.length)
      ? { loss: { down, backedUp: backedUp(run, results, index) } }
      : {}),
  };
}
