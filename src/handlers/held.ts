/** Cancel (command or button), and Roll back / Re-run verification / Retry apply on a held or watched run's card. */

import type { Step } from '../deploy/types.js';
import { noRun } from '../run/runner.js';
import { rollbackPlanAt } from '../run/views.js';
import { textMessage } from '../slack/blocks.js';
import type { StepRef } from '../slack/refs.js';
import * as runs from '../store/runs.js';
import { loadStepResults } from '../store/step-results.js';
import { type Asked, actFor, type Shell } from './answer.js';

export async function cancel(s: Shell, a: Asked, runId: number): Promise<void> {
  await actFor(s, runId, a, { type: 'cancel', at: s.deps.now(), by: a.user });
}

export async function rollbackOrRerun(
  s: Shell,
  a: Asked & { ref: StepRef },
  what: 'rollback' | 'rerun',
): Promise<void> {
  const { db } = s.deps;
  const run = await runs.loadRun(db, a.ref.run);
  if (!run) return a.respond(textMessage(noRun(a.ref.run)));
  const at = s.deps.now();
  const by = a.user;
  const index = a.ref.step;
  // Re-run: a held verification's checks, or an apply held after a lock timeout (Retry apply).
  if (what === 'rerun') {
    const type = run.steps[index]?.name === 'apply' ? 'retryApply' : 'rerunVerify';
    return void (await actFor(s, run.id, a, { type, index, at, by }));
  }
  // What a rollback there would undo, so one that can undo nothing is refused before it is recorded.
  const plan = run.steps[index]
    ? rollbackPlanAt(s.deps, run, await loadStepResults(db, run.id), index)
    : undefined;
  await actFor(
    s,
    run.id,
    a,
    run.steps[index]?.name === 'rollback'
      ? { type: 'resumeRollback', index, at, by, plan }
      : {
          type: 'rollbackRequested',
          index,
          at,
          by,
          plan,
          reason: run.reason ?? whyRollBack(run.steps[index]),
        },
  );
}

/** Why a person rolls back from step `step` when the run has no reason yet: what that step is. */
function whyRollBack(step: Step | undefined): string {
  const place = step?.service ? `${step.env} · ${step.service}` : (step?.env ?? 'the environment');
  if (step?.name === 'monitor') return `A critical reading on ${place} (the alert is in the thread).`;
  if (step?.name === 'apply') return `The apply on ${place} failed.`;
  return `Verification failed on ${place}.`;
}
