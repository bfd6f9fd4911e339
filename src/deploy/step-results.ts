/**
 * A run's stored step results, typed: each is parsed by the schema of its step's name when it leaves the store,
 * and read through the accessors below (never cast). Pure.
 */
import { type AfterResult, afterResultSchema } from './after-results.js';
import { type BackupResult, backupResultSchema, type RestoreResult, restoreResultSchema } from './backups.js';
import { type BaselineResult, baselineResultSchema } from './baseline.js';
import {
  type ApplyResult,
  applyResultSchema,
  type PreflightResult,
  preflightResultSchema,
  type RollbackResult,
  rollbackResultSchema,
  type VerifyResult,
  verifyResultSchema,
} from './results.js';
import { parseStored, StoredShapeError } from './stored.js';
import type { Run } from './types.js';

/** What each kind of step stores. Approval and monitor steps store none. */
export interface ResultOf {
  readonly preflight: PreflightResult;
  readonly apply: ApplyResult;
  readonly verify: VerifyResult;
  readonly rollback: RollbackResult;
  readonly baseline: BaselineResult;
  readonly backup: BackupResult;
  readonly restore: RestoreResult;
  readonly after: AfterResult;
}
export type ResultStep = keyof ResultOf;

/** One step's stored result, tagged with its step's name (which says its shape) and environment. */
export type StepResult = {
  [K in ResultStep]: {
    readonly name: K;
    readonly env: string;
    /** The service whose database it is (deploy.yml `services:`); absent for one database. */
    readonly service?: string;
    readonly result: ResultOf[K];
  };
}[ResultStep];

/** A run's stored results by step index (steps that stored none are absent). */
export type StepResults = ReadonlyMap<number, StepResult>;

/**
 * Parse a step's stored result by its step's name; `where` names the run and step for the error. A value that
 * does not parse, or a result stored on a step that stores none, is a StoredShapeError.
 */
export function parseStepResult(
  where: string,
  step: { name: string; env: string; service?: string | null },
  value: unknown,
): StepResult {
  const env = step.service ? { env: step.env, service: step.service } : { env: step.env };
  return { ...parseShaped(where, step.name, value), ...env } as StepResult;
}

function parseShaped(where: string, name: string, value: unknown): Omit<StepResult, 'env'> {
  switch (name) {
    case 'preflight':
      return { name: 'preflight', result: parseStored(preflightResultSchema, value, where) };
    case 'apply':
      return { name: 'apply', result: parseStored(applyResultSchema, value, where) };
    case 'verify':
      return { name: 'verify', result: parseStored(verifyResultSchema, value, where) };
    case 'rollback':
      return { name: 'rollback', result: parseStored(rollbackResultSchema, value, where) };
    case 'baseline':
      return { name: 'baseline', result: parseStored(baselineResultSchema, value, where) };
    case 'backup':
      return { name: 'backup', result: parseStored(backupResultSchema, value, where) };
    case 'restore':
      return { name: 'restore', result: parseStored(restoreResultSchema, value, where) };
    case 'after':
      return { name: 'after', result: parseStored(afterResultSchema, value, where) };
    default:
      throw new StoredShapeError(`${where} is stored, but ${name} steps store none`);
  }
}

/** Each name's result out of a StepResult (a mapped type, so a generic name gives its own result type). */
const pick: { readonly [K in ResultStep]: (r: StepResult) => ResultOf[K] | undefined } = {
  preflight: (r) => (r.name === 'preflight' ? r.result : undefined),
  apply: (r) => (r.name === 'apply' ? r.result : undefined),
  verify: (r) => (r.name === 'verify' ? r.result : undefined),
  rollback: (r) => (r.name === 'rollback' ? r.result : undefined),
  baseline: (r) => (r.name === 'baseline' ? r.result : undefined),
  backup: (r) => (r.name === 'backup' ? r.result : undefined),
  restore: (r) => (r.name === 'restore' ? r.result : undefined),
  after: (r) => (r.name === 'after' ? r.result : undefined),
};

/** The result stored by step `index`, when it is a `name` step. */
export function stepResult<K extends ResultStep>(
  results: StepResults,
  index: number,
  name: K,
): ResultOf[K] | undefined {
  const r = results.get(index);
  return r && pick[name](r);
}

/** The newest result of a `name` step on `env` (of `service`, with services) among steps before `below`. */
export function latestResult<K extends ResultStep>(
  results: StepResults,
  name: K,
  env: string,
  below: number,
  service?: string,
): ResultOf[K] | undefined {
  let at = -1;
  let found: ResultOf[K] | undefined;
  for (const [i, r] of results) {
    const here = r.env === env && r.service === service;
    const result = i < below && i > at && here ? pick[name](r) : undefined;
    if (result) {
      at = i;
      found = result;
    }
  }
  return found;
}

/**
 * The newest result of a `name` step on the environment (and service) of step `index`, before it (what it builds
 * on).
 */
export const resultOf = <K extends ResultStep>(
  run: Pick<Run, 'steps'>,
  results: StepResults,
  index: number,
  name: K,
): ResultOf[K] | undefined =>
  latestResult(results, name, run.steps[index]!.env, index, run.steps[index]!.service);

/** How an error names a stored step result: "run #12, step 3 (staging apply), result". */
export const whereResult = (runId: number, index: number, step: { env: string; name: string }) =>
  `run #${runId}, step ${index + 1} (${step.env} ${step.name}), result`;
