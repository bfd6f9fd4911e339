/**
 * What people ask of a run, as tables: given who they are (requester, approver of the environment, on-call,
 * nobody), when they cancel, roll back, re-run, verify, watch, take a checkpoint or answer an alert, then what.
 */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { RollbackPlan } from '../../src/deploy/rollback-plan.js';
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
const held = run((_, i) => (i < 3 ? 'succeeded' : i === 3 ? 'blocked' : 'pending'));
const watched = run((_, i) => (i < 4 ? 'succeeded' : 'watching'));
const atGate = run((_, i) => (i === 0 ? 'succeeded' : i === 1 ? 'waiting' : 'pending'));
const plan: RollbackPlan = { undo: ['024_x'], keep: [], missingDown: [] };
const refusedAs = (d: Decision) =>
  d.ok ? 'allowed' : d.records?.[0]?.type === 'audit' ? d.records[0].action : d.refused;

describe('decide: who may do what to a run', () => {
  const events = (by: string): [string, Run, RunEvent][] => [
    ['cancel at a gate', atGate, { type: 'cancel', at: T1, by }],
    ['roll back a held run', held, { type: 'rollbackRequested', index: 3, at: T1, by, reason: 'bad', plan }],
    ['re-run verification', held, { type: 'rerunVerify', index: 3, at: T1, by }],
    ['run checks now', held, { type: 'verifyNow', index: 3, at: T1, by }],
    ['watch', watched, { type: 'watch', index: 4, at: T1, by }],
    ['take a checkpoint', watched, { type: 'checkpointNow', index: 4, at: T1, by }],
    ['acknowledge an alert', watched, { type: 'acknowledge', index: 4, at: T1, by, alert: 11, keep: false }],
  ];
  // requester, approver, on-call, nobody
  const table: Record<string, string[]> = {
    'cancel at a gate': ['allowed', 'allowed', 'cancel.refused', 'cancel.refused'],
    'roll back a held run': ['allowed', 'allowed', 'allowed', 'rollback.refused'],
    're-run verification': ['allowed', 'allowed', 'rerun.refused', 'rerun.refused'],
    'run checks now': ['allowed', 'allowed', 'allowed', 'verify.refused'],
    watch: ['allowed', 'allowed', 'allowed', 'watch.refused'],
    'take a checkpoint': ['allowed', 'allowed', 'allowed', 'checkpoint.refused'],
    'acknowledge an alert': ['alert.refused', 'allowed', 'allowed', 'alert.refused'],
  };
  for (const [what, expected] of Object.entries(table))
    it(`${what}: requester ${expected[0]}, approver ${expected[1]}, on-call ${expected[2]}, anyone else ${expected[3]}`, () => {
      const got = ['U1', 'U5', 'U9', 'U8'].map((by) => {
        const [, r, e] = events(by).find(([w]) => w === what)!;
        return refusedAs(decide(r, e, ctx));
      });
      expect(got).toEqual(expected);
    });

  it('a refusal names who may, and is audited with why', () => {
    const d = decide(held, { type: 'rollbackRequested', index: 3, at: T1, by: 'U8', reason: 'x', plan }, ctx);
    expect(d).toMatchObject({
      ok: false,
      refused:
        'Only <@U1> (who requested run #7), an approver for production or on-call can roll back run #7 on production.',
    });
  });
});

describe('decide: what an allowed request does', () => {
  it('cancel is audited and ends the run; mid-step it is refused with when to try', () => {
    const d = decide(atGate, { type: 'cancel', at: T1, by: 'U1' }, ctx);
    expect(d).toMatchObject({ ok: true, next: { status: 'cancelled', endedBy: 'U1' } });
    expect(d.records).toEqual([{ type: 'audit', actor: 'U1', action: 'run.cancelled' }]);
    const applying = run((_, i) => (i < 2 ? 'succeeded' : i === 2 ? 'running' : 'pending'));
    expect(decide(applying, { type: 'cancel', at: T1, by: 'U1' }, ctx)).toMatchObject({
      ok: false,
      refused: 'Run #7 is in the middle of apply on production; cancel it once that step ends.',
    });
  });

  it('a rollback that could undo nothing is refused before anything is recorded, saying why', () => {
    const none: RollbackPlan = { undo: [], keep: ['024_x'], missingDown: ['024_x'] };
    const d = decide(
      held,
      { type: 'rollbackRequested', index: 3, at: T1, by: 'U1', reason: 'x', plan: none },
      ctx,
    );
    expect(d).toEqual({
      ok: false,
      refused: expect.stringMatching(/^Nothing can be rolled back on production: no down file for `024_x`/),
    });
  });

  it('a press on a card that is no longer holding is refused as out of date and redraws the cards', () => {
    expect(decide(watched, { type: 'rerunVerify', index: 3, at: T1, by: 'U1' }, ctx)).toMatchObject({
      ok: false,
      refresh: true,
      refused:
        'That card was out of date: verification is not waiting for a decision. It has been refreshed.',
    });
  });

  it('a person rolling back is audited as rollback.requested; the rollback goes through the gate', () => {
    const d = decide(
      held,
      { type: 'rollbackRequested', index: 3, at: T1, by: 'U9', reason: 'bad', plan },
      ctx,
    );
    expect(d.records).toEqual([
      { type: 'audit', actor: 'U9', action: 'rollback.requested', detail: { env: 'production' } },
    ]);
    expect(d.ok && d.next.steps.slice(4).map((s) => `${s.name}:${s.status}`)).toEqual([
      'approval:waiting',
      'rollback:pending',
      'monitor:skipped',
    ]);
  });

  it('checks now run on a finished run too; the run itself is not changed', () => {
    const ended = { ...held, status: 'succeeded' as const };
    const d = decide(ended, { type: 'verifyNow', index: 3, at: T1, by: 'U1' }, ctx);
    expect(d).toEqual({ ok: true, next: ended, effects: [{ type: 'verifyNow', index: 3, by: 'U1' }] });
    expect(decide(atGate, { type: 'verifyNow', index: 3, at: T1, by: 'U1' }, ctx)).toEqual({
      ok: false,
      refused: 'Run #7 has not reached verification on production yet.',
    });
  });

  it.each([
    [undefined, 'allowed'],
    [
      '2026-11-21T10:04:30.000Z',
      'A checkpoint of run #7 was taken on command at 10:04:30 UTC; take the next one from 10:05:30 UTC (one a minute). The planned checkpoints go on meanwhile.',
    ],
    ['2026-11-21T10:04:00.000Z', 'allowed'],
  ])('a checkpoint on command after one at %s: %s', (last, expected) => {
    const d = decide(
      watched,
      { type: 'checkpointNow', index: 4, at: T1, by: 'U1', lastOnDemandAt: last },
      ctx,
    );
    expect(d.ok ? 'allowed' : d.refused).toBe(expected);
    if (d.ok)
      expect(d.effects).toEqual([
        { type: 'takeCheckpoint', index: 4 },
        { type: 'showMonitor', index: 4 },
      ]);
  });

  it('an alert is acknowledged once: recorded, audited, its message redrawn; a second press hears who did', () => {
    const d = decide(
      watched,
      { type: 'acknowledge', index: 4, at: T1, by: 'U5', alert: 11, keep: true },
      ctx,
    );
    expect(d).toMatchObject({
      ok: true,
      effects: [{ type: 'redrawAlert', alert: 11, by: 'U5', keep: true }],
    });
    expect(d.records?.map((r) => (r.type === 'audit' ? r.action : r.type))).toEqual([
      'acknowledge',
      'alert.keep_watching',
    ]);
    expect(
      decide(
        watched,
        { type: 'acknowledge', index: 4, at: T1, by: 'U9', alert: 11, keep: false },
        { ...ctx, alert: { acknowledgedBy: 'U5' } },
      ),
    ).toEqual({ ok: false, refused: 'Already acknowledged by <@U5>; nothing changed.' });
  });
});

describe('decide: a rollback whose gate only the person asking could approve', () => {
  // production's only dba is U5.
  const solo = testContext({
    rules: (env) => (env === 'production' ? [{ role: 'dba', users: ['U5'], count: 1 }] : []),
  });
  const roll = (by: string): RunEvent => ({
    type: 'rollbackRequested',
    index: 3,
    at: T1,
    by,
    reason: 'bad',
    plan,
  });

  it('the only approver pressing Roll back is refused, told who else may ask, and audited', () => {
    const d = decide(held, roll('U5'), solo);
    expect(d).toMatchObject({
      ok: false,
      refused:
        'A rollback of production needs approval by someone other than whoever asks for it, and with you asking it could never be given (dba needs 1 person, not counting you). Ask <@U1> (who requested run #7) or on-call to press Roll back; you can then approve it.',
    });
    expect(d.records?.[0]).toMatchObject({ type: 'audit', actor: 'U5', action: 'rollback.refused' });
  });

  it('the requester asks instead; the only approver can then approve the rollback gate', () => {
    const asked = decide(held, roll('U1'), solo);
    if (!asked.ok) throw new Error(asked.refused);
    const gate = asked.next.steps.findIndex((s) => s.purpose === 'rollback' && s.name === 'approval');
    const d = decide(
      asked.next,
      { type: 'approvalClicked', index: gate, at: T1, by: 'U5', decision: 'approve', digest: 'D' },
      { ...solo, digest: 'D', approvals: [] },
    );
    expect(d.ok && d.next.steps[gate + 1]).toMatchObject({ name: 'rollback', status: 'running' });
  });

  it('approving a rollback gate that can never pass says why, about the rollback (not the run), and points to Reject', () => {
    // An automatic rollback through the gate: its requester is the run's, and here the only dba requested the run.
    const mine = { ...held, requestedBy: 'U5' };
    const auto = decide(
      mine,
      { type: 'rollbackRequested', index: 3, at: T1, by: 'migration-gate', reason: 'bad', plan },
      solo,
    );
    if (!auto.ok) throw new Error(auto.refused);
    const gate = auto.next.steps.findIndex((s) => s.purpose === 'rollback' && s.name === 'approval');
    const click = (decision: 'approve' | 'reject', reason?: string): RunEvent => ({
      type: 'approvalClicked',
      index: gate,
      at: T1,
      by: 'U5',
      decision,
      digest: 'D',
      reason,
    });
    expect(decide(auto.next, click('approve'), { ...solo, digest: 'D', approvals: [] })).toMatchObject({
      ok: false,
      refused: expect.stringMatching(
        /^The rollback of production can never be approved \(dba needs 1 person, not counting whoever asked for the rollback\)/,
      ),
    });
  });
});
