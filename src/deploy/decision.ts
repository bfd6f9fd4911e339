/** What decide() is given besides the run and the event, and what it returns. Pure data. */
import type { AfterRule, NoticeKind, NotifyRules } from './after-rules.js';
import type { Approval, GatePolicy, Decision as Verdict } from './approvals.js';
import type { Judged, MetricRule } from './monitoring.js';
import type { Window } from './schedule.js';
import type { Run, Step } from './types.js';

/** Who the bot itself is when it acts (an automatic rollback, a satisfied gate). */
export const SYSTEM_ACTOR = 'migration-gate';

/** After the save commits: what the shell does, in order. */
export type Effect =
  | { readonly type: 'renderCard' }
  | { readonly type: 'runStep'; readonly index: number }
  /** Post the approval card for a gate that just opened. */
  | { readonly type: 'openGate'; readonly index: number }
  /** Redraw a gate's approval card (its buttons go when it closes). */
  | { readonly type: 'renderGate'; readonly index: number }
  /** Redraw the run card and every gate card (the one clicked was out of date). */
  | { readonly type: 'renderAll' }
  /** The run ended: post the report in the thread. */
  | { readonly type: 'report' }
  /** Tell deploy.yml's notify: channels, with a link to the thread (`index`: the gate or alert's step). */
  | {
      readonly type: 'notify';
      readonly notice: NoticeKind;
      readonly channels: readonly string[];
      readonly index?: number;
      /** A critical: the metrics over their critical line. */
      readonly metrics?: readonly string[];
    }
  /** A monitor step began: schedule its checkpoints and post the monitoring message. */
  | { readonly type: 'startMonitor'; readonly index: number }
  /** Remind the approvers of an open gate who are still needed. */
  | { readonly type: 'remind'; readonly index: number }
  /** Ask the person who clicked why (Reject) or on what conditions: the modal; nothing is recorded yet. */
  | { readonly type: 'askReason'; readonly index: number; readonly decision: 'reject' | 'conditions' }
  /**
   * Post an alert about monitor step `index` in the thread (critical ones also in the channel). `rollback`: what
   * happens about it: rolling back `now`, through an `approval` gate, `offer`ed as a button, or `impossible`.
   */
  | {
      readonly type: 'alert';
      readonly index: number;
      readonly level: 'warn' | 'critical';
      readonly judged: readonly Judged[];
      readonly rollback?: {
        readonly when: 'now' | 'approval' | 'offer' | 'impossible';
        readonly plan: string;
      };
    }
  /** Run a verify step's checks now and post the table; the run does not change. */
  | { readonly type: 'verifyNow'; readonly index: number; readonly by: string }
  /** Take a checkpoint of monitor step `index` now. */
  | { readonly type: 'takeCheckpoint'; readonly index: number }
  /** Show a monitor step's latest figures to the person who asked. */
  | { readonly type: 'showMonitor'; readonly index: number }
  /** Mark an alert's message acknowledged (its buttons go). */
  | { readonly type: 'redrawAlert'; readonly alert: number; readonly by: string; readonly keep: boolean }
  /** Upload a chart of monitor step `index`'s readings to the thread (its watch ended, or someone asked). */
  | { readonly type: 'chart'; readonly index: number };

/** Written in the same transaction as the run (or, for a refusal, on its own). */
export type Record =
  | { readonly type: 'audit'; readonly actor: string; readonly action: string; readonly detail?: unknown }
  | {
      readonly type: 'approval';
      readonly index: number;
      readonly user: string;
      readonly decision: Verdict;
      readonly reason?: string;
      readonly digest: string;
      readonly at: string;
    }
  /** Acknowledge an alert unless someone did already (the store decides the race: first one wins). */
  | {
      readonly type: 'acknowledge';
      readonly alert: number;
      readonly by: string;
      readonly at: string;
      readonly keep: boolean;
    };

export type Decision =
  | {
      readonly ok: true;
      /** The run to save; the same object when nothing about the run changes (nothing is saved). */
      readonly next: Run;
      readonly effects: readonly Effect[];
      readonly records?: readonly Record[];
    }
  | {
      readonly ok: false;
      /** A sentence for the person who asked. */
      readonly refused: string;
      /** Redraw the cards: the one clicked was out of date. */
      readonly refresh?: boolean;
      /** Refusals of people are audited (what was tried, why not). */
      readonly records?: readonly Record[];
    };

/** What decide() needs to know of the configuration. */
export interface Policy {
  /** How long a gate in `env` waits for approvals before the run expires. */
  gateTtlMs(env: string): number;
  /** Whether changes to `env` need approvals (then so does a rollback). */
  gated(env: string): boolean;
  /** The approval rules of `env` (of its stage `stage`; without one, its only or first stage). */
  gate(env: string, stage?: string): GatePolicy;
  /** The names of `env`'s approval stages in order, each its own gate; none when its approvals are one list. */
  readonly stages?: (env: string) => readonly string[];
  /** `env`'s deployment window, if it has one. */
  window(env: string): Window | undefined;
  /** How long after a gate opens its approvers are first reminded (each later reminder waits twice as long). */
  remindEveryMs(env: string): number;
  /** Whether a rollback trigger in `env` rolls back at once, with no gate. */
  autoRollback(env: string): boolean;
  /** The monitoring rules (lines, consecutive, rollback, dry run) by metric. */
  readonly metrics: readonly MetricRule[];
  /** A metric's unit as shown after its value (" ms", "%", ""). */
  unit(key: string): string;
  /** The Slack user group that is on call, if any. */
  readonly oncall?: string;
  /** An environment's after: actions in deploy.yml's order (docs/after.md); absent: none anywhere. */
  readonly after?: (env: string) => readonly AfterRule[];
  /** deploy.yml's notify: channels; absent: nobody else is told. */
  readonly notify?: NotifyRules;
}

/** Members of the Slack user groups the policy names, read before any lock; groups Slack would not give. */
export interface Groups {
  readonly members: Readonly<globalThis.Record<string, readonly string[]>>;
  readonly failed: Readonly<globalThis.Record<string, string>>;
}

export interface Context {
  readonly policy: Policy;
  /** Gathered before the run is locked (Slack is a network call). Absent: nobody is in any group. */
  readonly groups?: Groups;
  /** The gate's approvals so far (an approvalClicked event), loaded with the run. */
  readonly approvals?: readonly Approval[];
  /** A click on a stage's gate: the run's approvals on its other gates (by step index), for one person, one stage. */
  readonly otherGates?: readonly (Approval & { readonly index: number })[];
  /** The alert an acknowledge event answers, as stored now (loaded with the run): who answered it already. */
  readonly alert?: { readonly acknowledgedBy?: string };
  /** The digest of the run's checksums: what a gate's card must carry to count. */
  readonly digest?: string;
}

/** The rules of gate `step`: its environment's, or its stage's. */
export const stepGate = (policy: Policy, step: Pick<Step, 'env' | 'stage'>): GatePolicy =>
  policy.gate(step.env, step.stage);

/** How long a checkpoint on command waits after the previous one (each is shown; none counts). */
export const ON_DEMAND_EVERY_MS = 60_000;
