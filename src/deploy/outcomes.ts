/** How a step that stops early says so: the same shapes from every step. Pure. */
import type { PreflightResult, StepOutcome } from './results.js';

/** A preflight's result before it found anything. */
export const emptyPreflight = (env: string) => ({
  env,
  pending: [],
  alreadyApplied: false,
  drift: [],
  unknown: [],
  outOfOrder: [],
});

/** A preflight that stopped on `problem`, with whatever it had found by then. */
export const preflightFailed = (
  env: string,
  problem: string,
  extra: Partial<PreflightResult> = {},
): StepOutcome<PreflightResult> => ({
  ok: false,
  summary: 'failed',
  reason: problem,
  result: { ...emptyPreflight(env), ...extra, ok: false, problem },
});

/** A step over files (apply, rollback, baseline) that stopped on `problem` before any file ran. */
export const noFileDone = (
  env: string,
  problem: string,
): StepOutcome<{ env: string; ok: false; files: never[]; problem: string }> => ({
  ok: false,
  summary: 'failed',
  reason: problem,
  result: { env, ok: false, files: [], problem },
});
