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

/** "3 files to apply: 024, 025, 030" (the first five, then how many more; the approval card lists them all). */
export function toApply(ids: readonly string[]): string {
  const shown = ids.slice(0, 5).join(', ');
  const more = ids.length > 5 ? ` and ${ids.length - 5} more` : '';
  return `${ids.length === 1 ? '1 file' : `${ids.length} files`} to apply: ${shown}${more}`;
}
