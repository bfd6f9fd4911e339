/**
 * Which run (and step) the code running now is about, so every log line written meanwhile carries `runId` and
 * `step`: the runner enters a run, perform a step, and the logger (log.ts) adds what is current to each line.
 * Kept in an AsyncLocalStorage, so lines from code that has no logger of its own (a target error published on a
 * diagnostics channel, a Bolt or Web API warning during a run's Slack call) carry them too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RunContext {
  readonly runId: number;
  /** The step's index in the run, and its name (preflight, apply, …). */
  readonly step?: number;
  readonly stepName?: string;
}

const current = new AsyncLocalStorage<RunContext>();

/** Run `fn` as work on run `runId` (a run entered inside another forgets the other's step). */
export function inRun<T>(runId: number, fn: () => T): T {
  return current.getStore()?.runId === runId ? fn() : current.run({ runId }, fn);
}

/** Run `fn` as work on step `step` (named `stepName`) of the current run. */
export function inStep<T>(runId: number, step: number, stepName: string, fn: () => T): T {
  return current.run({ runId, step, stepName }, fn);
}

/** Run `fn` as work on no run in particular (a tick that goes through every run). */
export function outsideRuns<T>(fn: () => T): T {
  return current.exit(fn);
}

/** The fields a log line about the current run carries ({} outside a run). */
export function runFields(): Partial<RunContext> {
  return current.getStore() ?? {};
}
