/**
 * What decide() knows of deploy.yml's `after:` actions and `notify:` channels (docs/after.md), and the steps an
 * environment's actions become. Pure: the shell does the requests; nothing here knows a URL or a token.
 */
import { z } from 'zod';
import { parseStored, schemaOf } from './stored.js';
import type { AfterOutcome, AfterRef, Step } from './types.js';

/** When an action runs: its environment succeeded, failed (failed or rolled back), or either. */
export type AfterOn = 'success' | 'failure' | 'always';

/** One `after:` action as decide() sees it. */
export interface AfterRule {
  readonly on: AfterOn;
  /** Approved first, by the environment's approval rules (an approval card like its deploy gate's). */
  readonly gate: boolean;
  readonly label: string;
}

/** What a notify: channel is told. */
export type NoticeKind = 'start' | 'gate' | 'end' | 'critical';
export const NOTICE_KINDS: readonly NoticeKind[] = ['start', 'gate', 'end', 'critical'];

export interface NotifyTarget {
  /** A channel id (C…, G…) or #name. */
  readonly channel: string;
  readonly on: readonly NoticeKind[];
}

/** Top-level channels hear of every run; an environment's, of the runs that go there and its gates and alerts. */
export interface NotifyRules {
  readonly all: readonly NotifyTarget[];
  readonly byEnv: Readonly<Record<string, readonly NotifyTarget[]>>;
}

const runsOn = (on: AfterOn, outcome: AfterOutcome) =>
  on === 'always' || (on === 'success') === (outcome === 'succeeded');

/**
 * The steps `env`'s actions become once it ended `outcome`: per action that runs then, in deploy.yml's order, its
 * gate (when it has one) and the action.
 */
export function afterSteps(env: string, rules: readonly AfterRule[], outcome: AfterOutcome): Step[] {
  return rules.flatMap((r, action) => {
    if (!runsOn(r.on, outcome)) return [];
    const after: AfterRef = { action, label: r.label, outcome };
    const step = (name: 'approval' | 'after'): Step => ({
      env,
      name,
      status: 'pending',
      purpose: 'after',
      after,
    });
    return r.gate ? [step('approval'), step('after')] : [step('after')];
  });
}

const afterRefSchema = schemaOf<AfterRef>()(
  z.object({
    action: z.int().min(0),
    label: z.string(),
    outcome: z.enum(['succeeded', 'failed', 'rolled_back']),
  }),
);

/** A step's stored `after` column, parsed (`where` names the run and step for the error). */
export const parseAfterRef = (value: unknown, where: string): AfterRef =>
  parseStored(afterRefSchema, value, where);

/** The idempotency key of one action of one run: the same on every attempt and after a restart. */
export const idempotencyKey = (runId: number, env: string, action: number) =>
  `migration-gate-run-${runId}-${env}-after-${action}`;
