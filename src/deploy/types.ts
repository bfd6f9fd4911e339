/** The run model. Pure data: no I/O types leak in here. Times are ISO strings passed in by the shell. */
import type { InterruptedApply } from './interrupted-apply.js';
import type { Judged } from './monitoring.js';
import type { RollbackPlan } from './rollback-plan.js';

export type RunStatus =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  | 'rolled_back';
/** `baseline`: a baseline run's step that marks files applied without running them (no verify, no monitor). */
/** `backup`: copies the tables the files change before apply; `restore`: puts data back from it after a rollback. */
export type StepName =
  | 'preflight'
  | 'approval'
  | 'backup'
  | 'apply'
  | 'verify'
  | 'monitor'
  | 'rollback'
  | 'restore'
  | 'baseline'
  /** An `after:` action of deploy.yml once its environment succeeded or failed (docs/after.md). */
  | 'after';
/**
 * `waiting`: a gate waiting for approvals; `scheduled`: approved, waiting for the deployment window;
 * `blocked`: verification failed (or an apply failed after some of the run's files went in) and the run waits for
 * a person to roll back, re-run verification, or cancel.
 */
export type StepStatus =
  | 'pending'
  | 'running'
  | 'waiting'
  | 'scheduled'
  | 'blocked'
  /** A monitor step between its checkpoints (durable: it survives restarts). */
  | 'watching'
  | 'succeeded'
  | 'failed'
  | 'skipped';

export interface Step {
  readonly env: string;
  /**
   * A step of one service's database (deploy.yml `services:`): its preflight, backup, apply, verify, monitor and
   * rollback. Absent for a single-database deploy.yml and for an environment's gates and after: actions.
   */
  readonly service?: string;
  readonly name: StepName;
  readonly status: StepStatus;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  /** One short line for the run card, e.g. "84 ms (+1 function, +4 columns)". */
  readonly summary?: string;
  /** A gate: when it expires unanswered. */
  readonly expiresAt?: string;
  /** A scheduled gate: when its deployment window opens. */
  readonly resumeAt?: string;
  /** A gate or step that belongs to a rollback (or an after: action) rather than the deploy. */
  readonly purpose?: 'rollback' | 'after';
  /** An after: action's step and its gate: which action, and the outcome it follows. */
  readonly after?: AfterRef;
  /** A deploy gate of an environment whose approvals are stages: the stage's name (docs/configuration.md). */
  readonly stage?: string;
  /** An open gate: when its approvers are reminded next, and how many reminders went before. */
  readonly remindAt?: string;
  readonly reminders?: number;
}

/** How an environment ended, as an after: action hears it (and a run that failed ends once they are done). */
export type AfterOutcome = 'succeeded' | 'failed' | 'rolled_back';

export interface AfterRef {
  /** Its index among the environment's after: actions in deploy.yml. */
  readonly action: number;
  /** What it does, in a few words ("merge acme/app#42"). */
  readonly label: string;
  readonly outcome: AfterOutcome;
}

export interface Run {
  readonly id: number;
  readonly migration: string;
  readonly requestedBy: string;
  readonly channel: string;
  readonly status: RunStatus;
  readonly steps: readonly Step[];
  /** The files this run deploys (id → sha256), fixed when it starts: every environment gets exactly these. */
  readonly checksums: Readonly<Record<string, string>>;
  /** Optimistic concurrency: bumped on every save. */
  readonly version: number;
  readonly createdAt: string;
  readonly finishedAt?: string;
  /** Why the run failed, was rejected or cancelled: one sentence. */
  readonly reason?: string;
  /** Who cancelled or rejected it. */
  readonly endedBy?: string;
}

export type RunEvent =
  | { readonly type: 'begin'; readonly at: string }
  | {
      readonly type: 'stepSucceeded';
      readonly index: number;
      readonly at: string;
      readonly durationMs: number;
      readonly summary: string;
      /** A preflight found every file of the run already applied here: no gate, apply or monitoring here. */
      readonly nothingToApply?: boolean;
      /** A rollback left data its down files cannot bring back, and this run's backup can: Restore is offered. */
      readonly restorable?: boolean;
    }
  | {
      readonly type: 'stepFailed';
      readonly index: number;
      readonly at: string;
      readonly durationMs: number;
      readonly summary: string;
      readonly reason: string;
      /** An apply that failed after earlier files of this run went in: hold the run so they can be rolled back. */
      readonly partial?: boolean;
      /** An apply that could not get its lock (55P03 after every attempt): hold the run for Retry apply. */
      readonly lockTimeout?: boolean;
    }
  /** The gate's rules hold. `resumeAt` is set when the deployment window is closed: the gate waits for it. */
  | { readonly type: 'gateApproved'; readonly index: number; readonly at: string; readonly resumeAt?: string }
  | { readonly type: 'windowOpened'; readonly index: number; readonly at: string }
  | {
      readonly type: 'gateRejected';
      readonly index: number;
      readonly at: string;
      readonly by: string;
      readonly reason: string;
      readonly automatic?: boolean;
    }
  | { readonly type: 'gateExpired'; readonly index: number; readonly at: string }
  | { readonly type: 'cancel'; readonly at: string; readonly by: string }
  /** The monitor step's last checkpoint is done. */
  | { readonly type: 'monitorDone'; readonly index: number; readonly at: string; readonly summary: string }
  /** Someone allowed to pressed Re-run verification on a blocked verify step. */
  | { readonly type: 'rerunVerify'; readonly index: number; readonly at: string; readonly by: string }
  /** Someone allowed to pressed Retry apply on an apply held after a lock timeout: the step runs again. */
  | { readonly type: 'retryApply'; readonly index: number; readonly at: string; readonly by: string }
  /**
   * Roll back the environment of a blocked verify step or a watching monitor step: through a gate when the
   * environment has approvals, unless `automatic` (a rollback: true metric went critical with autoRollback on).
   */
  | {
      readonly type: 'rollbackRequested';
      readonly index: number;
      readonly at: string;
      readonly by: string;
      readonly reason: string;
      readonly automatic?: boolean;
      /** What the rollback would undo there: a rollback that can undo nothing is refused before it is recorded. */
      readonly plan?: RollbackPlan;
    }
  /** Finish a rollback the bot was stopped in the middle of (through a gate again when the environment has one). */
  | {
      readonly type: 'resumeRollback';
      readonly index: number;
      readonly at: string;
      readonly by: string;
      readonly plan?: RollbackPlan;
    }
  /** Restore from backup (or Finish without restoring) pressed on a restore a rollback offered (step `index`). */
  | {
      readonly type: 'restoreRequested' | 'restoreDeclined';
      readonly index: number;
      readonly at: string;
      readonly by: string;
    }
  /** The bot stopped mid-step; `apply`: what is known of an apply it cut (gathered when the run is recovered). */
  | { readonly type: 'interrupted'; readonly at: string; readonly apply?: InterruptedApply }
  /**
   * Approve / Approve with conditions / Reject pressed on a gate's card (`digest`: the checksums the card showed).
   * Conditions and Reject without a reason ask for one first (nothing is recorded until it comes).
   */
  | {
      readonly type: 'approvalClicked';
      readonly index: number;
      readonly at: string;
      readonly by: string;
      readonly decision: 'approve' | 'conditions' | 'reject';
      readonly reason?: string;
      readonly digest: string;
    }
  /** The scheduler found an open gate with something due at `at`: its window, its expiry or a reminder. */
  | { readonly type: 'gateDue'; readonly index: number; readonly at: string }
  /**
   * A checkpoint of a monitor step was measured and judged. `rollback`: what a rollback of its environment would
   * undo now. `onDemand`: taken on command, shown but never acted on.
   */
  | {
      readonly type: 'checkpointJudged';
      readonly index: number;
      readonly at: string;
      readonly judged: readonly Judged[];
      /** Planned checkpoints still to come. */
      readonly pending: number;
      readonly onDemand: boolean;
      /** The monitor's progress in a line, for the step's summary when it is the last checkpoint. */
      readonly progress: string;
      readonly rollback: RollbackPlan;
    }
  /** Run a verify step's checks now, outside the run's steps (the run does not change). */
  | { readonly type: 'verifyNow'; readonly index: number; readonly at: string; readonly by: string }
  /** Take a checkpoint of a monitor step now; `lastOnDemandAt`: when the previous one on command was taken. */
  | {
      readonly type: 'checkpointNow';
      readonly index: number;
      readonly at: string;
      readonly by: string;
      readonly lastOnDemandAt?: string;
    }
  /** Show a monitor step's latest figures. */
  | { readonly type: 'watch'; readonly index: number; readonly at: string; readonly by: string }
  /** Acknowledge (or keep watching) a critical alert raised by the monitor step `index`. */
  | {
      readonly type: 'acknowledge';
      readonly index: number;
      readonly at: string;
      readonly by: string;
      readonly alert: number;
      readonly keep: boolean;
    };
