/** A step's work against its target, and the event it ends in. The result is stored and posted in the thread. */
import { runAfter } from '../after/step.js';
import { runBackup, runRestore } from '../backup-step.js';
import { runBaseline, runBaselinePreflight } from '../baseline-step.js';
import type { Environment } from '../config.js';
import { restorable } from '../deploy/backups.js';
import { knownTraces, relationsOf } from '../deploy/known-traces.js';
import { isBaseline } from '../deploy/plan.js';
import { redactDeep } from '../deploy/redact.js';
import { serviceKey } from '../deploy/service-files.js';
import { latestResult, resultOf } from '../deploy/step-results.js';
import type { Run, RunEvent } from '../deploy/types.js';
import { lockRetriesOf } from '../observe/run-facts.js';
import { runRollback } from '../rollback-step.js';
import { afterReply } from '../slack/after-blocks.js';
import { backupReply, restoreReply, withRestoreOffer } from '../slack/backup-blocks.js';
import { baselinePreflightReply, baselineReply } from '../slack/baseline-blocks.js';
import { preflightReply } from '../slack/blocks.js';
import { checksReply, rollbackReply } from '../slack/check-blocks.js';
import { runPreflight } from '../steps.js';
import { appliesOf } from '../store/apply-traces.js';
import { findMessage } from '../store/messages.js';
import * as runs from '../store/runs.js';
import { loadStepResults, saveStepResult } from '../store/step-results.js';
import { narrowedTo } from '../target/footprint.js';
import { migrationsToVerify, runVerify } from '../verification.js';
import { applyStep, lockTimedOut, withLockAdvice } from './apply-step.js';
import type { Deps } from './deps.js';
import { threadLink } from './notify.js';
import { type Done, forService, scoped, servicesApplyFailed } from './service-scope.js';
import { reply } from './views.js';

async function work(deps: Deps, run: Run, index: number, e: Environment): Promise<Done> {
  const { deploy, footprints } = deps;
  const step = run.steps[index]!;
  const results = await loadStepResults(deps.db, run.id);
  switch (step.name) {
    case 'preflight': {
      if (isBaseline(run)) {
        const outcome = await runBaselinePreflight(deploy, e, run.migration, run, footprints);
        const message = baselinePreflightReply(outcome.result);
        return { outcome, message, nothingToApply: outcome.result.alreadyApplied };
      }
      // Sizes here of the tables the lock traces measured elsewhere name (for this environment's approval card).
      const files = Object.entries(run.checksums).map(([id, checksum]) => ({ id, checksum }));
      const { applies } = await appliesOf(
        deps.db,
        files.map((f) => f.id),
        e.name,
      );
      const sizeOf = relationsOf(knownTraces(applies, files, e.name).values());
      const outcome = await runPreflight(deploy, e, run.migration, run, footprints, sizeOf);
      return {
        outcome,
        message: preflightReply(outcome.result),
        nothingToApply: outcome.result.alreadyApplied,
      };
    }
    case 'apply':
      return applyStep(deps, run, index, e, results);
    case 'verify': {
      const apply = resultOf(run, results, index, 'apply');
      const outcome = await runVerify(
        e,
        migrationsToVerify(deploy, run.migration, apply?.files.map((f) => f.id) ?? []),
        resultOf(run, results, index, 'preflight'),
        // seq_scans counts the run's touched tables: the checks' own scans are read for those alone.
        narrowedTo(footprints, apply?.touchedTables),
        { runId: run.id, checksums: run.checksums },
      );
      return { outcome, message: checksReply(outcome.result) };
    }
    case 'rollback': {
      const outcome = await runRollback(deploy, e, resultOf(run, results, index, 'apply'), {
        runId: run.id,
        by: run.endedBy ?? run.requestedBy,
        reason: run.reason ?? 'rollback',
        footprints,
        checksums: run.checksums,
      });
      // What the down files cannot bring back and this run's backup there can: offered as Restore from backup.
      const offer = outcome.ok ? restorable(resultOf(run, results, index, 'backup')) : [];
      const message = rollbackReply(outcome.result);
      if (!offer.length) return { outcome, message };
      return { outcome, message: withRestoreOffer(message, offer, e.name), restorable: true };
    }
    case 'backup': {
      const outcome = await runBackup(deploy, e, {
        runId: run.id,
        checksums: run.checksums,
        footprints,
        pending: resultOf(run, results, index, 'preflight')?.pending.map((p) => p.id) ?? [],
      });
      return { outcome, message: backupReply(outcome.result) };
    }
    case 'restore': {
      const outcome = await runRestore(e, resultOf(run, results, index, 'backup'), footprints);
      return { outcome, message: restoreReply(outcome.result) };
    }
    case 'baseline': {
      const outcome = await runBaseline(deploy, e, run.migration, {
        runId: run.id,
        by: run.requestedBy,
        checksums: run.checksums,
        footprints,
        expected: resultOf(run, results, index, 'preflight')?.pending.map((p) => p.id),
      });
      return { outcome, message: baselineReply(outcome.result, run.requestedBy) };
    }
    case 'after': {
      // docs/after.md: the files applied here and a link to the thread go with a webhook.
      // With services, every service's files applied here, named service/id.
      const services = [
        ...new Set(run.steps.flatMap((s) => (s.env === e.name && s.service ? [s.service] : []))),
      ];
      const files = services.length
        ? services.flatMap(
            (svc) =>
              latestResult(results, 'apply', e.name, index, svc)?.files.map((f) => serviceKey(svc, f.id)) ??
              [],
          )
        : (latestResult(results, 'apply', e.name, index)?.files.map((f) => f.id) ?? []);
      const outcome = await runAfter(
        e,
        run,
        index,
        { link: await threadLink(deps, run), files },
        { now: deps.clock, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      );
      return { outcome, message: afterReply(outcome.result, e.name, step.after?.outcome ?? 'succeeded') };
    }
    case 'approval':
    case 'monitor':
      throw new Error(`a${step.name === 'approval' ? 'n approval' : ' monitor'} step is not work`);
  }
}

/** Do step `index` and say how it ended. */
export async function executeStep(deps: Deps, whole: Run, index: number): Promise<RunEvent> {
  const step = whole.steps[index]!;
  const e = deps.env(step.env, step.service);
  const { run } = scoped(deps, whole, index);
  const started = performance.now();
  let lockTimeout = false;
  let done: Done = {
    outcome: {
      ok: false,
      summary: 'failed',
      reason: step.service
        ? `Service ${step.service} on ${step.env} is no longer in deploy.yml.`
        : `Environment ${step.env} is no longer in deploy.yml.`,
      result: undefined,
    },
    message: { text: '', blocks: [] },
  };
  if (e) {
    done = await work(scoped(deps, whole, index).deps, run, index, e);
    // With services, an apply that fails says what each service holds, and holds the run when any went in.
    if (step.name === 'apply' && step.service && !done.outcome.ok)
      done = await servicesApplyFailed(deps, whole, index, done);
    // Any other step of one service that fails says whose it is ("marketplace on staging: 003_x.sql:3:7: …").
    else if (step.service && !done.outcome.ok && done.outcome.reason)
      done = {
        ...done,
        outcome: { ...done.outcome, reason: `${step.service} on ${step.env}: ${done.outcome.reason}` },
      };
    lockTimeout = lockTimedOut(step, done);
    if (lockTimeout) done = withLockAdvice(done);
    deps.metrics.lockRetries(e.name, lockRetriesOf(done.outcome.result));
    await saveStepResult(deps.db, run.id, index, redactDeep(done.outcome.result, deps.secrets));
    await reply(deps, whole, `step:${index}`, forService(done.message, step.env, step.service));
  }
  const { outcome } = done;
  const durationMs = Math.round(performance.now() - started);
  const at = deps.now();
  return outcome.ok
    ? {
        type: 'stepSucceeded',
        index,
        at,
        durationMs,
        summary: outcome.summary,
        ...(done.nothingToApply ? { nothingToApply: true } : {}),
        ...(done.restorable ? { restorable: true } : {}),
      }
    : {
        type: 'stepFailed',
        index,
        at,
        durationMs,
        summary: outcome.summary,
        reason: outcome.reason ?? 'failed',
        ...(done.partial ? { partial: true } : {}),
        ...(lockTimeout ? { lockTimeout: true } : {}),
      };
}

/** Run a verify step's checks again, now, without changing the run; post the table in the thread. */
export async function verifyOnDemand(whole: Deps, wholeRun: Run, index: number, by: string): Promise<void> {
  const e = whole.env(wholeRun.steps[index]!.env, wholeRun.steps[index]!.service);
  if (!e) return;
  const { deps, run } = scoped(whole, wholeRun, index);
  const results = await loadStepResults(deps.db, run.id);
  const apply = resultOf(run, results, index, 'apply');
  const outcome = await runVerify(
    e,
    migrationsToVerify(deps.deploy, run.migration, apply?.files.map((f) => f.id) ?? []),
    resultOf(run, results, index, 'preflight'),
    narrowedTo(deps.footprints, apply?.touchedTables),
    { runId: run.id, checksums: run.checksums },
    true,
  );
  await runs.audit(deps.db, {
    actor: by,
    action: 'verify.on_demand',
    runId: run.id,
    detail: { env: e.name, summary: outcome.summary },
  });
  const message = forService(
    checksReply(outcome.result, `Verification on ${e.name}, run now by <@${by}>`),
    e.name,
    e.service,
  );
  const card = await findMessage(deps.db, run.id, 'card');
  if (card) await deps.chat.post(card.channel, message, card.ts);
}
