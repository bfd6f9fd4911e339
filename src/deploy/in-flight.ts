/** A run in flight as `migration-gate status` shows it: where it is now, and which environments it deploys to. Pure. */
import { gateName } from './gate-name.js';
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
  readonly step: {
    index: number;
    env: string;
    name: StepName;
    status: StepStatus;
    /** A gate's name (deploy/gate-name.ts: "deploy to production", "rollback on staging"); null for other steps. */
    gate: string | null;
  } | null;
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
    step: step
      ? {
          index,
          env: step.env,
          name: step.name,
          status: step.status,
          gate: step.name === 'approval' ? gateName(run, index) : null,
        }
      : null,
  };
}

/** "approval: deploy to production (waiting)", "approval: rollback on staging (waiting)", "production apply (running)" */
export function whereNow(r: RunInFlight): string {
  if (!r.step) return 'between steps';
  const { env, name, status, gate } = r.step;
  return `${gate ? `approval: ${gate}` : `${env} ${name}`} (${status})`;
}
