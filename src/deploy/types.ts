/** The run model. Pure data: no I/O types leak in here. Times are ISO strings passed in by the shell. */

export type RunStatus =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  | 'rolled_back';
export type StepName = 'preflight' | 'approval' | 'apply' | 'verify' | 'monitor' | 'rollback';
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
  /** A gate or step that belongs to a rollback rather than the deploy. */
  readonly purpose?: 'rollback';
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
    }
  /** Finish a rollback the bot was stopped in the middle of (through a gate again when the environment has one). */
  | { readonly type: 'resumeRollback'; readonly index: number; readonly at: string; readonly by: string }
  | { readonly type: 'interrupted'; readonly at: string };

export type Effect =
  | { readonly type: 'renderCard' }
  | { readonly type: 'runStep'; readonly index: number }
  /** Post the approval card for a gate that just opened. */
  | { readonly type: 'openGate'; readonly index: number }
  /** Redraw a gate's approval card (its buttons go when it closes). */
  | { readonly type: 'renderGate'; readonly index: number }
  /** The run ended: post the report in the thread. */
  | { readonly type: 'report' }
  /** A monitor step began: schedule its checkpoints and post the monitoring message. */
  | { readonly type: 'startMonitor'; readonly index: number };

export type Decision =
  | { readonly ok: true; readonly next: Run; readonly effects: readonly Effect[] }
  | { readonly ok: false; readonly refused: string };

/** What decide() needs to know of the configuration. */
export interface Policy {
  /** How long a gate in `env` waits for approvals before the run expires. */
  gateTtlMs(env: string): number;
  /** Whether changes to `env` need approvals (then so does a rollback). */
  gated(env: string): boolean;
}
