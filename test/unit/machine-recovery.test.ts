/** decide(): runs the bot finds after a stop — never begun, interrupted mid-step, interrupted mid-rollback. */
import { describe, expect, it } from 'vitest';
import type { Context, Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:00:01.000Z';
const run = (_gated: boolean): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'staging', gated: false }]),
  checksums: { '024_x': 'abc' },
  version: 0,
  createdAt: T0,
});
const policyOf = (gated: boolean): Context => testContext({ gated: () => gated });
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const play = (r: Run, policy: Context, ...events: RunEvent[]) =>
  events.reduce((acc, e) => ok(decide(acc, e, policy)).next, r);

describe('decide: a run that never began', () => {
  it('interrupted releases it as failed, saying nothing was applied', () => {
    const d = ok(decide(run(false), { type: 'interrupted', at: T1 }, policyOf(false)));
    expect(d.next.status).toBe('failed');
    expect(d.next.reason).toContain('stopped before run #7 began');
    expect(d.next.reason).toContain('nothing was applied');
    expect(d.next.steps.map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(d.effects).toContainEqual({ type: 'renderCard' });
  });
});

const failVerify: RunEvent = {
  type: 'stepFailed',
  index: 2,
  at: T1,
  durationMs: 9,
  summary: '0/1 pass',
  reason: 'Verification failed on staging.',
};
const succeed = (index: number): RunEvent => ({
  type: 'stepSucceeded',
  index,
  at: T1,
  durationMs: 5,
  summary: 'ok',
});

/** A run whose rollback of staging was running when the bot stopped. */
function cutRollback(gated: boolean): Run {
  const policy = policyOf(gated);
  let r = play(run(gated), policy, { type: 'begin', at: T0 }, succeed(0), succeed(1), failVerify);
  r = play(r, policy, {
    type: 'rollbackRequested',
    index: 2,
    at: T1,
    by: 'U2',
    reason: 'Verification failed on staging.',
  });
  if (gated) r = play(r, policy, { type: 'gateApproved', index: 3, at: T1 });
  return ok(decide(r, { type: 'interrupted', at: T1 }, policy)).next;
}

describe('decide: a rollback the bot was stopped in', () => {
  it('interrupted holds the run on the rollback step; it never ends the run or advises re-deploying', () => {
    const r = cutRollback(false);
    expect(r.status).toBe('running');
    expect(r.reason).toBe('Verification failed on staging.');
    expect(r.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'preflight:succeeded',
      'apply:succeeded',
      'verify:failed',
      'rollback:blocked',
    ]);
    expect(r.steps[3]!.summary).toBe('interrupted');
  });

  it.each([
    { gated: false, added: ['rollback:running'], effect: { type: 'runStep', index: 4 } },
    { gated: true, added: ['approval:waiting', 'rollback:pending'], effect: { type: 'openGate', index: 5 } },
  ])(
    'resumeRollback (gated: $gated) adds a rollback after the cut one, through a gate when the env has one',
    ({ gated, added, effect }) => {
      const r = cutRollback(gated);
      const cut = r.steps.findIndex((s) => s.status === 'blocked');
      const d = ok(decide(r, { type: 'resumeRollback', index: cut, at: T1, by: 'U3' }, policyOf(gated)));
      expect(d.next.steps.slice(cut).map((s) => `${s.name}:${s.status}`)).toEqual([
        'rollback:failed',
        ...added,
      ]);
      expect(d.next.steps.slice(cut + 1).every((s) => s.purpose === 'rollback')).toBe(true);
      expect(d.next.endedBy).toBe('U3');
      expect(d.effects).toContainEqual(effect);
      // When the resumed rollback succeeds, the run is rolled back with its original reason.
      if (!gated) {
        const end = ok(decide(d.next, succeed(cut + 1), policyOf(gated)));
        expect(end.next.status).toBe('rolled_back');
        expect(end.next.reason).toBe('Verification failed on staging.');
      }
    },
  );

  it('resumeRollback is refused anywhere but on an interrupted rollback', () => {
    const policy = policyOf(false);
    const r = play(run(false), policy, { type: 'begin', at: T0 }, succeed(0), succeed(1), failVerify);
    const d = decide(r, { type: 'resumeRollback', index: 2, at: T1, by: 'U3' }, policy);
    expect(d).toMatchObject({ ok: false, refused: 'There is no interrupted rollback to resume.' });
  });
});
