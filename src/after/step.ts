/**
 * The after step's work (docs/after.md): the environment's action the step names, done once (with its own bounded
 * retries), and the outcome stored with the step. A webhook carries the run, the environment, how it ended, the
 * files applied there and a link to the thread.
 */
import type { Environment } from '../config.js';
import { type AfterResult, afterSummary } from '../deploy/after-results.js';
import { idempotencyKey } from '../deploy/after-rules.js';
import type { StepOutcome } from '../deploy/results.js';
import type { Run } from '../deploy/types.js';
import { mergePull } from './github.js';
import { type Io, sendWebhook } from './webhook.js';

export interface AfterInput {
  /** The run's thread in Slack (none when Slack would not give a link). */
  readonly link?: string;
  /** The files the run applied on this environment, in order. */
  readonly files: readonly string[];
}

export async function runAfter(
  e: Environment,
  run: Run,
  index: number,
  input: AfterInput,
  io: Io,
): Promise<StepOutcome<AfterResult>> {
  const step = run.steps[index]!;
  const ref = step.after;
  const action = ref ? e.after?.[ref.action] : undefined;
  let result: AfterResult;
  if (!ref || !action || action.label !== ref.label)
    result = {
      kind: 'webhook',
      label: ref?.label ?? 'after',
      ok: false,
      sentence: `deploy.yml no longer has this after: action on ${e.name} (it was changed since the run started): nothing was done.`,
      attempts: [],
      tries: 0,
    };
  else if (action.do.kind === 'webhook') {
    const key = idempotencyKey(run.id, e.name, ref.action);
    result = await sendWebhook(
      action,
      action.do,
      {
        type: 'migration-gate.after',
        runId: run.id,
        migration: run.migration,
        environment: e.name,
        outcome: ref.outcome,
        files: input.files,
        ...(input.link ? { link: input.link } : {}),
        idempotencyKey: key,
      },
      io,
    );
  } else result = await mergePull(action, action.do, io);
  return { ok: result.ok, ...afterSummary(result), result };
}
