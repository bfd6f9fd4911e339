/** The run model. Pure data: no I/O types leak in here. Times are ISO strings passed in by the shell. */

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StepName = 'preflight' | 'apply';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface Step {
  readonly env: string;
  readonly name: StepName;
  readonly status: StepStatus;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  /** One short line for the run card, e.g. "84 ms (+1 function, +4 columns)". */
  readonly summary?: string;
}

export interface Run {
  readonly id: number;
  readonly migration: string;
  readonly requestedBy: string;
  readonly channel: string;
  readonly status: RunStatus;
  readonly steps: readonly Step[];
  /** Optimistic concurrency: bumped on every save. */
  readonly version: number;
  readonly createdAt: string;
  readonly finishedAt?: string;
  /** Why the run failed or was cancelled, one sentence. */
  readonly reason?: string;
}

export type RunEvent =
  | { readonly type: 'begin'; readonly at: string }
  | {
      readonly type: 'stepSucceeded';
      readonly index: number;
      readonly at: string;
      readonly durationMs: number;
      readonly summary: string;
    }
  | {
      readonly type: 'stepFailed';
      readonly index: number;
      readonly at: string;
      readonly durationMs: number;
      readonly summary: string;
      readonly reason: string;
    }
  | { readonly type: 'interrupted'; readonly at: string };

export type Effect = { readonly type: 'renderCard' } | { readonly type: 'runStep'; readonly index: number };

export type Decision =
  | { readonly ok: true; readonly next: Run; readonly effects: readonly Effect[] }
  | { readonly ok: false; readonly refused: string };
