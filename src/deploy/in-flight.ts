/** A run in flight as `migration-gate status` shows it: where it is now, and which environments it deploys to. Pure. */
import { currentStep } from './transitions.js';
import type { Run, StepName, StepStatus } from './types.js';

export interface RunInFlight {
  readonly id: number;
  readonly migration: string;
  readonly requestedBy: string;
  /** ISO time the run started. */
  readonly startedAt: string;
  /** Every environment its steps go through, in order. */
  readonly environments: string[];
  /** The step working, waiting, scheduled, blocked or watching now; else the next one to start (`pending`). */
  readonly step: { index: number; env: string; name: StepName; status: StepStatus } | null;
}

export function inFlight(run: Run): RunInFlight {
  const current = currentStep(run);
  const index = current >= 0 ? current : run.steps.findIndex((s) => s.status === 'pending');
  const step = run.steps[index];
  return {
    id: run.id,
    migration: run.migration,
    requestedBy: run.requestedBy,
    startedAt: run.createdAt,
    environments: [...new Set(run.steps.map((s) => s.env))],
    step: step ? { index, env: step.env, name: step.name, status: step.status } : null,
  };
}

/** "production approval (waiting)" */
export const whereNow = (r: RunInFlight): string =>
  r.step ? `${r.step.env} ${r.step.name} (${r.step.status})` : 'between steps';
