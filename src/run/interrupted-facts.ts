/**
 * What is known of an apply the bot was stopped in, gathered when its run is recovered (recovery.ts): the file it
 * was applying, the files of this run the target's ledger holds, and whether a backup was taken. No lock is held
 * while the target is read; a target that cannot be read leaves the facts out (the card then says the generic
 * sentence).
 */
import type { InterruptedApply } from '../deploy/interrupted-apply.js';
import type { ApplyResult } from '../deploy/results.js';
import { resultOf, stepResult } from '../deploy/step-results.js';
import { currentStep } from '../deploy/transitions.js';
import type { RunEvent } from '../deploy/types.js';
import * as runs from '../store/runs.js';
import { loadStepResults, saveStepResult } from '../store/step-results.js';
import { withTargetClient } from '../target/client.js';
import type { Deps } from './deps.js';

export async function interruptedEvent(
  deps: Deps,
  runId: number,
): Promise<Extract<RunEvent, { type: 'interrupted' }>> {
  const apply = await interruptedApply(deps, runId).catch((err: unknown) => {
    deps.log.warn({ err, runId }, 'what the interrupted apply left could not be read');
    return undefined;
  });
  return { type: 'interrupted', at: deps.now(), ...(apply ? { apply } : {}) };
}

async function interruptedApply(deps: Deps, runId: number): Promise<InterruptedApply | undefined> {
  const run = await runs.loadRun(deps.db, runId);
  const index = run ? currentStep(run) : -1;
  const step = run?.steps[index];
  if (!run || !step || step.name !== 'apply' || step.status !== 'running') return undefined;
  const e = deps.env(step.env, step.service);
  if (!e) return undefined;
  const results = await loadStepResults(deps.db, run.id);
  const pending = resultOf(run, results, index, 'preflight')?.pending ?? [];
  // An earlier attempt of this step (Retry apply) stored what it applied.
  const stored = stepResult(results, index, 'apply')?.files.map((f) => f.id) ?? [];
  const ids = pending.map((p) => p.id);
  const inLedger = await withTargetClient(e, deps.footprints, async (c) => {
    const exists = await c.query<{ e: boolean }>(
      "select to_regclass('migration_gate.applied_migrations') is not null as e",
    );
    if (!exists.rows[0]?.e) return new Set<string>();
    const r = await c.query<{ id: string }>(
      'select id from migration_gate.applied_migrations where id = any($1::text[])',
      [ids],
    );
    return new Set(r.rows.map((row) => row.id));
  });
  const applied = ids.filter((id) => inLedger.has(id) || stored.includes(id));
  const next = pending.find((p) => !applied.includes(p.id));
  // The step stored no result (the bot died in it): record what the ledger holds, so Roll back undoes those files.
  if (applied.some((id) => !stored.includes(id))) {
    const timed = stepResult(results, index, 'apply')?.files ?? [];
    await saveStepResult(deps.db, run.id, index, {
      env: step.env,
      ok: false,
      files: applied.map(
        (id) => timed.find((f) => f.id === id) ?? { id, statements: 0, durationMs: 0, lockRetries: 0 },
      ),
      problem: `The bot stopped during this apply; the files listed are the ones ${step.env}'s ledger holds.`,
    } satisfies ApplyResult);
  }
  const backup = run.steps.some(
    (s) =>
      s.name === 'backup' && s.env === step.env && s.service === step.service && s.status === 'succeeded',
  );
  return {
    index,
    applied,
    backup,
    ...(next ? { applying: next.file ?? next.id } : {}),
    ...(next?.outsideTransaction ? { outside: true } : {}),
  };
}
