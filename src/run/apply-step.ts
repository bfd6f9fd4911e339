/**
 * The apply step's work: its files on the step's target, and, when a lock attempt gave up every time, the sentence
 * the held card shows (docs/locks.md). A Retry apply runs the step again: the files the earlier attempt applied are
 * skipped by the ledger, and its stored result joins the retry's, so a rollback still undoes them all.
 */
import type { Environment } from '../config.js';
import {
  isLockTimeout,
  joinAttempts,
  lockTimeoutAdvice,
  lockTimeoutCore,
  stillPending,
} from '../deploy/lock-held.js';
import type { ApplyResult } from '../deploy/results.js';
import { resultOf, type StepResults, stepResult } from '../deploy/step-results.js';
import type { Run, Step } from '../deploy/types.js';
import { applyReply } from '../slack/blocks.js';
import { runApply } from '../steps.js';
import type { Deps } from './deps.js';
import { lockNotice } from './lock-notice.js';
import type { Done } from './service-scope.js';

export async function applyStep(
  deps: Deps,
  run: Run,
  index: number,
  e: Environment,
  results: StepResults,
): Promise<Done> {
  // A thread reply once an attempt gives up waiting for its lock, edited when the apply ends.
  const notice = lockNotice(deps, run, e);
  // An earlier attempt of this same step (Retry apply): what it applied is not pending any more.
  const before = stepResult(results, index, 'apply');
  let table: string | undefined;
  const outcome = await runApply(deps.deploy, e, run.migration, {
    runId: run.id,
    appliedBy: run.requestedBy,
    checksums: run.checksums,
    footprints: deps.footprints,
    expected: stillPending(
      resultOf(run, results, index, 'preflight')?.pending.map((p) => p.id),
      before,
    ),
    onLockWait: (w) => {
      table = w.table ?? table;
      notice.seen(w);
    },
  });
  const result = joinAttempts(before, outcome.result);
  const { failure } = outcome.result;
  await notice.ended(
    outcome.ok
      ? { kind: 'applied', afterMs: 0 }
      : isLockTimeout(failure)
        ? { kind: 'lockTimeout', file: failure.file ?? failure.id }
        : { kind: 'failed' },
  );
  const reason =
    !outcome.ok && isLockTimeout(failure)
      ? // With services, what each service holds is said around it (servicesApplyFailed).
        run.steps[index]!.service
        ? lockTimeoutCore(failure, table)
        : `The apply on ${e.name} ${lockTimeoutCore(failure, table)}.`
      : outcome.reason;
  return {
    outcome: { ...outcome, reason, result },
    message: applyReply(result),
    partial: result.files.length > 0,
  };
}

/** Whether an apply's work ended in a lock timeout: the run holds for Retry apply. */
export const lockTimedOut = (step: Step, done: Done) =>
  step.name === 'apply' &&
  !done.outcome.ok &&
  isLockTimeout((done.outcome.result as ApplyResult | undefined)?.failure);

/** The held card's sentence ends with what the buttons do. */
export const withLockAdvice = (done: Done): Done => ({
  ...done,
  outcome: { ...done.outcome, reason: `${done.outcome.reason} ${lockTimeoutAdvice(!!done.partial)}` },
});
