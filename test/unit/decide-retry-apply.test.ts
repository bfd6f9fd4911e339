/** decide(): an apply that could not get its lock holds the run; Retry apply runs it again, for the people allowed. */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent, Step } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:05:00.000Z';
// production is gated (dba U5/U6/U7); on-call U2, U3, U9; U1 requested the run; U8 is nobody.
const ctx = testContext({ gated: (env) => env === 'production' });
const run = (status: (s: Step, i: number) => Step['status']): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'production', gated: true, monitored: true }]).map((s, i) => ({
    ...s,
    status: status(s, i),
  })),
  checksums: { '024_x': 'abc' },
  version: 3,
  createdAt: T0,
});
// preflight 0, approval 1, apply 2, verify 3, monitor 4
const applying = run((_, i) => (i < 2 ? 'succeeded' : i === 2 ? 'running' : 'pending'));
const lockFailed = (partial: boolean): Extract<RunEvent, { type: 'stepFailed' }> => ({
  type: 'stepFailed',
  index: 2,
  at: T1,
  durationMs: 900,
  summary: 'failed',
  reason: 'The apply on production could not get the lock on hot …',
  lockTimeout: true,
  ...(partial ? { partial } : {}),
});
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const held = ok(decide(applying, lockFailed(false), ctx)).next;
const refusedAs = (d: Decision) =>
  d.ok ? 'allowed' : d.records?.[0]?.type === 'audit' ? d.records[0].action : d.refused;

describe('decide: an apply held after a lock timeout', () => {
  it('holds the run (blocked, "lock timeout") with its reason, rather than failing it', () => {
    expect(held.status).toBe('running');
    expect(held.steps[2]).toMatchObject({ status: 'blocked', summary: 'lock timeout' });
    expect(held.reason).toContain('could not get the lock on hot');
    const partly = ok(decide(applying, lockFailed(true), ctx)).next;
    expect(partly.steps[2]!.summary).toBe('lock timeout, some files applied');
  });

  it('Retry apply: the requester and approvers may, on-call and anyone else may not', () => {
    const got = ['U1', 'U5', 'U9', 'U8'].map((by) =>
      refusedAs(decide(held, { type: 'retryApply', index: 2, at: T1, by }, ctx)),
    );
    expect(got).toEqual(['allowed', 'allowed', 'apply.retry.refused', 'apply.retry.refused']);
    const d = decide(held, { type: 'retryApply', index: 2, at: T1, by: 'U8' }, ctx);
    expect(!d.ok && d.refused).toBe(
      'Only <@U1> (who requested run #7) or an approver for production can retry the apply of run #7 on production.',
    );
  });

  it('runs the apply step again, audited; a second press on the old card is out of date', () => {
    const d = ok(decide(held, { type: 'retryApply', index: 2, at: T1, by: 'U1' }, ctx));
    expect(d.next.steps[2]).toMatchObject({ status: 'running', startedAt: T1, summary: undefined });
    expect(d.next.reason).toBeUndefined();
    expect(d.effects).toEqual([{ type: 'renderCard' }, { type: 'runStep', index: 2 }]);
    expect(d.records).toEqual([
      { type: 'audit', actor: 'U1', action: 'apply.retried', detail: { env: 'production' } },
    ]);
    expect(decide(d.next, { type: 'retryApply', index: 2, at: T1, by: 'U5' }, ctx)).toMatchObject({
      ok: false,
      refresh: true,
      refused: 'That card was out of date: the apply is not waiting to be retried. It has been refreshed.',
    });
  });

  it('is not offered for an apply held for another reason (some files went in, another error)', () => {
    const partial = ok(
      decide(applying, { ...lockFailed(true), lockTimeout: undefined, reason: '23505 …' }, ctx),
    ).next;
    expect(partial.steps[2]!.summary).toBe('failed');
    const d = decide(partial, { type: 'retryApply', index: 2, at: T1, by: 'U1' }, ctx);
    expect(!d.ok && d.refused).toBe('The apply is not waiting to be retried.');
  });
});
