/**
 * A run held after a failed verification (or a partly applied apply, or an apply that could not get its lock), or
 * watched: roll it back, re-run its verification, retry its apply, or resume a rollback the bot was stopped in the
 * middle of. Pure; people are checked against the
 * permission table, the bot itself is not.
 */

import { shortRules } from './approvals.js';
import { type Context, type Decision, SYSTEM_ACTOR } from './decision.js';
import { lockHeld } from './lock-held.js';
import { forbidden } from './people.js';
import { rollbackSteps, servicesUndone } from './plan.js';
import { describeRollback } from './rollback-plan.js';
import { enter, isCurrent, watchingTogether, withStep } from './transitions.js';
import type { Run, RunEvent } from './types.js';

type Held = Extract<
  RunEvent,
  { type: 'rollbackRequested' | 'rerunVerify' | 'resumeRollback' | 'retryApply' }
>;

/** How a person's press on a held run is audited: what happened, or what was refused. */
const AUDIT = {
  rollbackRequested: ['rollback.requested', 'rollback'],
  resumeRollback: ['rollback.resumed', 'rollback'],
  rerunVerify: ['verify.rerun', 'verify.rerun'],
  retryApply: ['apply.retried', 'apply.retry'],
} as const;

/** What a stale card's press hears: the step it names is no longer waiting for that. */
const STALE = {
  rollbackRequested: 'verification is not waiting for a decision',
  resumeRollback: 'verification is not waiting for a decision',
  rerunVerify: 'verification is not waiting for a decision',
  retryApply: 'the apply is not waiting to be retried',
} as const;

/** A person's press on a held run: the card must be current, the person allowed, the rollback possible. */
export function pressed(run: Run, e: Held, ctx: Context, decide: () => Decision): Decision {
  if (e.by === SYSTEM_ACTOR) return decide();
  const step = run.steps[e.index];
  const rollback = e.type === 'rollbackRequested' || e.type === 'resumeRollback';
  const holding = step?.status === 'blocked' || (rollback && step?.status === 'watching');
  const [done, refusedAs] = AUDIT[e.type];
  if (!step || !holding) {
    // Of two presses at once, one took effect; the other finds the run moved on, and is audited as refused.
    const refused = `That card was out of date: ${STALE[e.type]}. It has been refreshed.`;
    return {
      ok: false,
      refused,
      refresh: true,
      records: [{ type: 'audit', actor: e.by, action: `${refusedAs}.refused`, detail: { refused } }],
    };
  }
  const no = forbidden(
    ctx,
    run,
    e.by,
    rollback ? 'rollback' : e.type,
    step.env,
    rollback ? 'rollback.refused' : e.type === 'retryApply' ? 'apply.retry.refused' : 'rerun.refused',
  );
  if (no) return no;
  // Refused before anything is recorded when no file of this run can be undone here.
  if (rollback && e.plan && !e.plan.undo.length)
    return { ok: false, refused: describeRollback(e.plan, step.env) };
  // Whoever asks for a rollback may not approve it: refused now when, with this person asking, its gate could
  // never pass (they are the only one who could approve it), saying who else may ask.
  const stuck = rollback && ctx.policy.gated(step.env) && neverApproved(run, e.by, step.env, ctx);
  if (stuck)
    return {
      ok: false,
      refused: stuck,
      records: [{ type: 'audit', actor: e.by, action: 'rollback.refused', detail: { refused: stuck } }],
    };
  const d = decide();
  const audit = d.ok
    ? { type: 'audit' as const, actor: e.by, action: done, detail: { env: step.env } }
    : {
        type: 'audit' as const,
        actor: e.by,
        action: `${refusedAs}.refused`,
        detail: { env: step.env, refused: d.refused },
      };
  return { ...d, records: [...(d.records ?? []), audit] };
}

function neverApproved(run: Run, by: string, env: string, ctx: Context): string | undefined {
  const policy = ctx.policy.gate(env);
  const short = shortRules(policy, by, ctx.groups?.members ?? {});
  if (!short) return undefined;
  const others = [
    ...(run.requestedBy !== by ? [`<@${run.requestedBy}> (who requested run #${run.id})`] : []),
    ...(ctx.policy.oncall ? ['on-call'] : []),
  ];
  const ask = others.length
    ? `Ask ${others.join(' or ')} to press Roll back; you can then approve it.`
    : 'Fix the rules in deploy.yml.';
  return `A rollback of ${env} needs approval by someone other than whoever asks for it, and with you asking it could never be given (${short}, not counting you). ${ask}`;
}

export function rollbackRequested(
  run: Run,
  e: Extract<RunEvent, { type: 'rollbackRequested' }>,
  ctx: Context,
): Decision {
  if (!isCurrent(run, e.index, 'blocked', 'watching'))
    return {
      ok: false,
      refused: 'There is nothing to roll back now: the run is not holding after verification or watching.',
    };
  const env = run.steps[e.index]!.env;
  // The held step stays failed; the rest of the deploy is skipped (with services, the other services' monitors
  // watching beside it stop too); rollback steps follow it, one per service the plan undoes.
  const stop = new Set(watchingTogether(run.steps, e.index));
  // The rollback goes after the last of them, so no watched step moves (charts and checkpoints name steps by index).
  const last = Math.max(e.index, ...stop);
  const before = run.steps
    .slice(0, last + 1)
    .map((s, i) =>
      i === e.index
        ? { ...s, status: 'failed' as const }
        : stop.has(i)
          ? { ...s, status: 'skipped' as const, finishedAt: e.at, summary: 'stopped for the rollback' }
          : s,
    );
  const after = run.steps.slice(last + 1).map((s) => ({ ...s, status: 'skipped' as const }));
  const services = servicesUndone(e.plan?.undo ?? []);
  const steps = [...before, ...rollbackSteps(env, ctx.policy.gated(env) && !e.automatic, services), ...after];
  return enter({ ...run, reason: e.reason, endedBy: e.by }, steps, last + 1, e.at, ctx.policy);
}

export function resumeRollback(run: Run, index: number, at: string, by: string, ctx: Context): Decision {
  if (!isCurrent(run, index, 'blocked') || run.steps[index]!.name !== 'rollback')
    return { ok: false, refused: 'There is no interrupted rollback to resume.' };
  // The interrupted step stays as it was (failed); a new rollback (and its gate) follows it.
  const { env, service } = run.steps[index]!;
  const steps = withStep(run, index, { status: 'failed' });
  steps.splice(index + 1, 0, ...rollbackSteps(env, ctx.policy.gated(env), service ? [service] : undefined));
  return enter({ ...run, endedBy: by }, steps, index + 1, at, ctx.policy);
}

export function rerunVerify(run: Run, index: number, at: string): Decision {
  if (!isCurrent(run, index, 'blocked') || run.steps[index]!.name !== 'verify')
    return { ok: false, refused: 'Verification is not waiting to be re-run.' };
  return runAgain(run, index, at);
}

/** A held step runs again: the run's reason goes, the card is redrawn, the step's work starts. */
function runAgain(run: Run, index: number, at: string): Decision {
  const steps = withStep(run, index, {
    status: 'running',
    startedAt: at,
    finishedAt: undefined,
    summary: undefined,
  });
  return {
    ok: true,
    next: { ...run, steps, reason: undefined, version: run.version + 1 },
    effects: [{ type: 'renderCard' }, { type: 'runStep', index }],
  };
}

/**
 * Retry apply on an apply held after a lock timeout: the step runs again from where it stopped (the files it
 * applied stay applied; the ledger skips them).
 */
export function retryApply(run: Run, index: number, at: string): Decision {
  if (!isCurrent(run, index, 'blocked') || !lockHeld(run.steps[index]!))
    return { ok: false, refused: 'The apply is not waiting to be retried.' };
  return runAgain(run, index, at);
}
