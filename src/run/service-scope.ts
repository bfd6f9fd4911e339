/**
 * A step of one service (deploy.yml `services:`, docs/services.md): the run and deploy.yml as it sees them, and what
 * an environment's services hold when one of their applies failed.
 */

import type { StepOutcome } from '../deploy/results.js';
import { checksumsOf, describeServicesApply, lastBound } from '../deploy/service-files.js';
import { latestResult } from '../deploy/step-results.js';
import type { Run } from '../deploy/types.js';
import type { Message } from '../slack/mrkdwn.js';
import { loadStepResults } from '../store/step-results.js';
import { discoverMigrations } from '../target/files.js';
import { deployFor } from '../targets.js';
import type { Deps } from './deps.js';

/** What a step's work ended in: its outcome, its thread reply, and what the decision needs to know. */
export type Done = {
  outcome: StepOutcome<unknown>;
  message: Message;
  partial?: boolean;
  nothingToApply?: boolean;
  /** A rollback after which the backup can put data back (Restore is offered). */
  restorable?: boolean;
};

/**
 * The run and deploy.yml as a step of one service sees them (deploy.yml `services:`): that service's folder, its
 * part of the checksums, and the newest of its files the run binds as the migration it deploys up to.
 */
export function scoped(deps: Deps, run: Run, index: number): { deps: Deps; run: Run } {
  const { service } = run.steps[index]!;
  if (service === undefined) return { deps, run };
  const deploy = deployFor(deps.deploy, service);
  const checksums = checksumsOf(run.checksums, service);
  const folder = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout).migrations;
  return {
    deps: { ...deps, deploy },
    run: { ...run, checksums, migration: lastBound(folder, checksums) ?? run.migration },
  };
}

/** A service's apply failed: the run's reason says what each service of the environment holds now. */
export async function servicesApplyFailed(deps: Deps, run: Run, index: number, done: Done): Promise<Done> {
  const { env } = run.steps[index]!;
  const results = await loadStepResults(deps.db, run.id);
  const failedFiles = (done.outcome.result as { files?: { id: string }[] } | undefined)?.files ?? [];
  const services = run.steps.flatMap((s, i) =>
    s.env === env && s.name === 'apply' && s.service && !s.purpose
      ? [
          {
            service: s.service,
            applied:
              i === index
                ? failedFiles.map((f) => f.id)
                : i < index
                  ? (latestResult(results, 'apply', env, i + 1, s.service)?.files.map((f) => f.id) ?? [])
                  : [],
            status:
              i === index ? ('failed' as const) : i < index ? ('done' as const) : ('not reached' as const),
          },
        ]
      : [],
  );
  const reason = describeServicesApply(env, services, done.outcome.reason ?? 'failed');
  return {
    ...done,
    outcome: { ...done.outcome, reason },
    partial: services.some((s) => s.applied.length > 0),
  };
}

/**
 * A step's thread reply names its service beside its environment ("Verify on staging · community"): the replies'
 * titles say "<step> on <env>", and three services' replies would otherwise read the same.
 */
export function forService(message: Message, env: string, service: string | undefined): Message {
  if (!service) return message;
  const from = ` on ${env}`;
  const to = ` on ${env} · ${service}`;
  let done = false;
  const blocks = message.blocks.map((b) => {
    const json = JSON.stringify(b);
    if (done || !json.includes(from)) return b;
    done = true;
    return JSON.parse(json.replace(from, to)) as typeof b;
  });
  return { text: message.text.replace(from, to), blocks };
}

/** Verify step `index` and, with services, every other service's verify step reached on its environment. */
export function verifySiblings(run: Run, index: number): number[] {
  const step = run.steps[index]!;
  if (!step.service) return [index];
  return run.steps.flatMap((s, i) =>
    s.name === 'verify' && s.env === step.env && s.service && !['pending', 'skipped'].includes(s.status)
      ? [i]
      : [],
  );
}
