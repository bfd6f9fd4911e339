/**
 * What a saved transition of a run says for the bot's own metrics (src/observe/metrics.ts): a run began or ended,
 * a step finished (and how long it took), a gate stopped waiting for people (and how long it waited). Pure: the
 * runner hands it the run before and after a decision and the event that made it.
 */
import { z } from 'zod';
import type { Run, RunEvent, Step } from '../deploy/types.js';

export type RunFact =
  | { readonly kind: 'runStarted' }
  | { readonly kind: 'runEnded'; readonly status: Run['status'] }
  | {
      readonly kind: 'stepEnded';
      readonly step: Step['name'];
      readonly environment: string;
      /** succeeded, failed, blocked (held for a person), or skipped (a monitor step cut short). */
      readonly outcome: string;
      readonly seconds: number;
    }
  | {
      readonly kind: 'gateWaited';
      readonly environment: string;
      readonly purpose: 'deploy' | 'rollback';
      /** approved (passed, or scheduled for its window), rejected, expired, or cancelled (the run ended). */
      readonly outcome: string;
      readonly seconds: number;
    };

const WORKING: readonly Step['status'][] = ['running', 'watching'];
const ENDED: readonly Step['status'][] = ['succeeded', 'failed', 'blocked', 'skipped'];

const seconds = (from: string | undefined, to: string | undefined): number => {
  const ms = Date.parse(to ?? '') - Date.parse(from ?? '');
  return Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0;
};

function gateOutcome(after: Step, runAfter: Run): string {
  if (after.status === 'scheduled' || after.status === 'succeeded') return 'approved';
  if (after.status === 'skipped') return 'cancelled';
  if (runAfter.status === 'expired' || after.summary === 'expired') return 'expired';
  if (runAfter.status === 'rejected' || after.summary === 'rejected') return 'rejected';
  return after.summary ?? after.status;
}

/** The facts in one saved transition, `before` → `after`, made by `event`. */
export function factsOf(before: Run, after: Run, event: RunEvent): RunFact[] {
  const facts: RunFact[] = [];
  if (event.type === 'begin') facts.push({ kind: 'runStarted' });
  after.steps.forEach((s, i) => {
    const was = before.steps[i];
    if (!was || was.status === s.status) return;
    if (s.name !== 'approval' && WORKING.includes(was.status) && ENDED.includes(s.status)) {
      const took =
        (event.type === 'stepSucceeded' || event.type === 'stepFailed') && event.index === i
          ? event.durationMs / 1000
          : seconds(s.startedAt ?? was.startedAt, s.finishedAt ?? event.at);
      facts.push({ kind: 'stepEnded', step: s.name, environment: s.env, outcome: s.status, seconds: took });
    }
    if (s.name === 'approval' && was.status === 'waiting')
      facts.push({
        kind: 'gateWaited',
        environment: s.env,
        purpose: s.purpose === 'rollback' ? 'rollback' : 'deploy',
        outcome: gateOutcome(s, after),
        seconds: seconds(was.startedAt, event.at),
      });
  });
  if (before.status === 'running' && after.status !== 'running')
    facts.push({ kind: 'runEnded', status: after.status });
  return facts;
}

/** What a step's stored result says about lock retries (apply and rollback results list their files). */
const retried = z.object({
  files: z.array(z.object({ lockRetries: z.number() })).optional(),
  failure: z.object({ lockRetries: z.number() }).optional(),
});

/** How many times a step's files were retried after a lock timeout or a deadlock (0 for other results). */
export function lockRetriesOf(result: unknown): number {
  const r = retried.safeParse(result);
  if (!r.success) return 0;
  return (r.data.files ?? []).reduce((n, f) => n + f.lockRetries, 0) + (r.data.failure?.lockRetries ?? 0);
}

/** A checkpoint taken more than this after it was due is counted late (the scheduler ticks every 15 s). */
export const LATE_AFTER_MS = 60_000;
