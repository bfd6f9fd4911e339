import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { isBaseline, planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const ctx = testContext({ gated: (env) => env === 'production' });
const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:00:01.000Z';
const run = (env: string): Run => ({
  id: 9,
  migration: '003_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: env, gated: env === 'production', monitored: true }], 'baseline'),
  checksums: { '001_a': 'a', '002_b': 'b', '003_x': 'x' },
  version: 0,
  createdAt: T0,
});
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const play = (r: Run, ...events: RunEvent[]) => events.reduce((acc, e) => ok(decide(acc, e, ctx)).next, r);
const succeed = (index: number, extra: Partial<RunEvent> = {}): RunEvent =>
  ({ type: 'stepSucceeded', index, at: T1, durationMs: 5, summary: 'ok', ...extra }) as RunEvent;
const names = (r: Run) => r.steps.map((s) => `${s.name}:${s.status}`);

describe('planSteps: a baseline run', () => {
  it.each([
    [{ name: 'staging', gated: false, monitored: true }, ['preflight', 'baseline']],
    [{ name: 'production', gated: true, monitored: true }, ['preflight', 'approval', 'baseline']],
  ])('%o → %o (no apply, no verify, no monitor)', (env, steps) => {
    const planned = planSteps([env], 'baseline');
    expect(planned.map((s) => s.name)).toEqual(steps);
    expect(isBaseline({ steps: planned })).toBe(true);
    expect(isBaseline({ steps: planSteps([env]) })).toBe(false);
  });
});

describe('decide: a baseline run', () => {
  it.each<[string, string, (r: Run) => Run, string[], Run['status']]>([
    [
      'ungated: preflight then baseline, and the run succeeds',
      'staging',
      (r) => play(r, { type: 'begin', at: T0 }, succeed(0), succeed(1)),
      ['preflight:succeeded', 'baseline:succeeded'],
      'succeeded',
    ],
    [
      'gated: preflight opens the gate, the baseline waits for it',
      'production',
      (r) => play(r, { type: 'begin', at: T0 }, succeed(0)),
      ['preflight:succeeded', 'approval:waiting', 'baseline:pending'],
      'running',
    ],
    [
      'gated and approved: the baseline runs, then the run succeeds',
      'production',
      (r) =>
        play(
          r,
          { type: 'begin', at: T0 },
          succeed(0),
          { type: 'gateApproved', index: 1, at: T1 },
          succeed(2),
        ),
      ['preflight:succeeded', 'approval:succeeded', 'baseline:succeeded'],
      'succeeded',
    ],
    [
      'nothing to baseline: no gate opens and the baseline is skipped',
      'production',
      (r) => play(r, { type: 'begin', at: T0 }, succeed(0, { nothingToApply: true })),
      ['preflight:succeeded', 'approval:skipped', 'baseline:skipped'],
      'succeeded',
    ],
    [
      'preflight refuses (drift): nothing is marked',
      'production',
      (r) =>
        play(
          r,
          { type: 'begin', at: T0 },
          {
            type: 'stepFailed',
            index: 0,
            at: T1,
            durationMs: 3,
            summary: 'failed',
            reason: 'drift',
          },
        ),
      ['preflight:failed', 'approval:skipped', 'baseline:skipped'],
      'failed',
    ],
    [
      'rejected at the gate: nothing is marked',
      'production',
      (r) =>
        play(r, { type: 'begin', at: T0 }, succeed(0), {
          type: 'gateRejected',
          index: 1,
          at: T1,
          by: 'U5',
          reason: 'no',
        }),
      ['preflight:succeeded', 'approval:failed', 'baseline:skipped'],
      'rejected',
    ],
    [
      'the baseline step fails: the run fails, not held (its one transaction wrote nothing)',
      'staging',
      (r) =>
        play(r, { type: 'begin', at: T0 }, succeed(0), {
          type: 'stepFailed',
          index: 1,
          at: T1,
          durationMs: 3,
          summary: 'failed',
          reason: 'busy',
          partial: true,
        }),
      ['preflight:succeeded', 'baseline:failed'],
      'failed',
    ],
  ])('%s', (_, env, go, steps, status) => {
    const r = go(run(env));
    expect(names(r)).toEqual(steps);
    expect(r.status).toBe(status);
  });

  it('nothing to baseline: the skipped steps say so in baseline words', () => {
    const r = play(run('production'), { type: 'begin', at: T0 }, succeed(0, { nothingToApply: true }));
    expect(r.steps.slice(1).map((s) => s.summary)).toEqual([
      'nothing to baseline on production',
      'nothing to baseline on production',
    ]);
  });

  it('the baseline step is work: entering it runs it', () => {
    const d = ok(decide(play(run('staging'), { type: 'begin', at: T0 }), succeed(0), ctx));
    expect(d.effects).toEqual([{ type: 'renderCard' }, { type: 'runStep', index: 1 }]);
  });

  it('the requester cannot approve the baseline gate', () => {
    const r = play(run('production'), { type: 'begin', at: T0 }, succeed(0));
    const d = decide(
      r,
      { type: 'approvalClicked', index: 1, at: T1, by: 'U1', decision: 'approve', digest: 'x' },
      ctx,
    );
    expect(d.ok).toBe(false);
  });
});
