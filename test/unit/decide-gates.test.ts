/** Gate decisions as tables: given a run at a gate and what was gathered, when a click or a tick, then what. */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:00:01.000Z';
const ctx = testContext({ gated: (env) => env === 'production', gateTtlMs: 3 * 86_400_000 });
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const succeed = (index: number): RunEvent => ({
  type: 'stepSucceeded',
  index,
  at: T1,
  durationMs: 5,
  summary: 'ok',
});
const base: Run = {
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'production', gated: true }]),
  checksums: { '024_x': 'abc' },
  version: 0,
  createdAt: T0,
};
/** preflight done; the gate (index 1) waiting since T1. */
const atGate = (c = ctx) =>
  [{ type: 'begin', at: T0 } as RunEvent, succeed(0)].reduce((r, e) => ok(decide(r, e, c)).next, base);
const click = (
  by: string,
  decision: 'approve' | 'conditions' | 'reject',
  extra: Partial<RunEvent> = {},
): RunEvent =>
  ({ type: 'approvalClicked', index: 1, at: T1, by, decision, digest: 'D1', ...extra }) as RunEvent;
const withGate = { digest: 'D1', approvals: [] };

describe('decide: a click on a gate', () => {
  it.each([
    ['a person in no rule', 'U8', 'approve', 'You are not in a rule for production (needs: dba).'],
  ] as const)(
    'given %s, when they click, then it is refused and audited as click.refused',
    (_, by, decision, why) => {
      const d = decide(atGate(), click(by, decision), { ...ctx, ...withGate });
      expect(d).toMatchObject({ ok: false, refused: why });
      expect(d.records).toEqual([
        { type: 'audit', actor: by, action: 'click.refused', detail: { decision, gate: 1, refused: why } },
      ]);
    },
  );

  it('given the requester is in the rule, when they approve their own run, then it is refused', () => {
    const mine = testContext({ rules: () => [{ role: 'dba', users: ['U1', 'U5'], count: 1 }] });
    const d = decide(atGate(mine), click('U1', 'approve'), { ...mine, ...withGate });
    expect(d).toMatchObject({ ok: false, refused: 'You requested this run; someone else must approve it.' });
  });

  it('given a card for other checksums, then it is refused as out of date and the cards are redrawn', () => {
    const d = decide(atGate(), click('U5', 'approve', { digest: 'OLD' }), { ...ctx, ...withGate });
    expect(d).toMatchObject({ ok: false, refresh: true, refused: expect.stringMatching(/out of date/) });
  });

  it('given an approver, when they approve, then the approval is recorded, audited, and apply starts', () => {
    const d = ok(decide(atGate(), click('U5', 'approve'), { ...ctx, ...withGate }));
    expect(d.records).toEqual([
      {
        type: 'approval',
        index: 1,
        user: 'U5',
        decision: 'approve',
        reason: undefined,
        digest: 'D1',
        at: T1,
      },
      {
        type: 'audit',
        actor: 'U5',
        action: 'gate.approve',
        detail: { gate: 1, env: 'production', reason: undefined },
      },
      { type: 'audit', actor: 'migration-gate', action: 'gate.satisfied', detail: { gate: 1 } },
    ]);
    expect(d.next.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'running', 'pending']);
    expect(d.effects).toEqual([
      { type: 'renderGate', index: 1 },
      { type: 'renderCard' },
      { type: 'runStep', index: 2 },
    ]);
  });

  it('given a rule of two, when the first approves, then it is recorded and the gate stays open (cards redrawn)', () => {
    const two = testContext({ rules: () => [{ role: 'dba', users: ['U5', 'U6'], count: 2 }] });
    const r = atGate(two);
    const d = ok(decide(r, click('U5', 'approve'), { ...two, ...withGate }));
    expect(d.next).toBe(r); // nothing about the run changes: it is not saved
    expect(d.next.steps[1]!.status).toBe('waiting');
    expect(d.effects).toEqual([{ type: 'renderAll' }]);
    expect(d.records?.map((r) => r.type)).toEqual(['approval', 'audit']);
  });

  it('given someone already approved, when they click again, then nothing changes', () => {
    const d = decide(atGate(), click('U5', 'approve'), {
      ...ctx,
      digest: 'D1',
      approvals: [{ user: 'U5', decision: 'conditions', at: T0 }],
    });
    expect(d).toMatchObject({ ok: false, refused: expect.stringMatching(/^You already approved this at/) });
  });

  it.each(['reject', 'conditions'] as const)(
    'given no reason yet, when %s is pressed, then the modal asks why; nothing is recorded',
    (decision) => {
      const r = atGate();
      const d = ok(decide(r, click('U5', decision), { ...ctx, ...withGate }));
      expect(d.next).toBe(r);
      expect(d.records).toBeUndefined();
      expect(d.effects).toEqual([{ type: 'askReason', index: 1, decision }]);
    },
  );

  it('given a reason, when reject is submitted, then the run ends rejected by that person, recorded and audited', () => {
    const d = ok(decide(atGate(), click('U5', 'reject', { reason: 'not tonight' }), { ...ctx, ...withGate }));
    expect(d.next).toMatchObject({ status: 'rejected', endedBy: 'U5', reason: 'not tonight' });
    expect(d.records?.map((r) => (r.type === 'audit' ? r.action : r.type))).toEqual([
      'approval',
      'gate.reject',
    ]);
  });

  it('given Slack could not give a group the rule names, then nobody is counted through it', () => {
    const grp = testContext({ rules: () => [{ role: 'dba', usergroup: 'S0DBA', count: 1 }] });
    const d = decide(atGate(grp), click('U5', 'approve'), {
      ...grp,
      ...withGate,
      groups: { members: {}, failed: { S0DBA: 'ratelimited' } },
    });
    expect(d).toMatchObject({
      ok: false,
      refused: expect.stringMatching(/^Could not read the approver user groups from Slack \(ratelimited\)/),
    });
  });

  it('given rules nobody but the requester can meet, then the click says the rules can never be met', () => {
    const self = testContext({ rules: () => [{ role: 'dba', users: ['U1'], count: 1 }] });
    const d = decide(atGate(self), click('U1', 'approve'), { ...self, ...withGate });
    expect(d).toMatchObject({ ok: false, refused: expect.stringMatching(/can never be met/) });
  });

  it('given a closed deployment window, when the gate is satisfied, then it is scheduled for the opening', () => {
    const win = testContext({
      gated: () => true,
      window: () => ({ days: ['sun'], from: '02:00', to: '06:00', timezone: 'UTC' }),
    });
    const d = ok(decide(atGate(win), click('U5', 'approve'), { ...win, ...withGate }));
    expect(d.next.steps[1]).toMatchObject({ status: 'scheduled', resumeAt: '2026-11-22T02:00:00.000Z' });
    expect(d.effects).toEqual([{ type: 'renderCard' }, { type: 'renderGate', index: 1 }]);
  });
});

describe('decide: the scheduler at a gate', () => {
  const remindAt = '2026-11-21T14:00:01.000Z';
  it('opening the gate sets its first reminder one interval later, with none sent', () => {
    expect(atGate().steps[1]).toMatchObject({ status: 'waiting', remindAt, reminders: 0 });
  });

  it.each([
    ['before anything is due', '2026-11-21T12:00:00.000Z', undefined],
    ['at the reminder', remindAt, { remindAt: '2026-11-21T22:00:01.000Z', reminders: 1 }],
  ])('%s', (_, at, after) => {
    const d = decide(atGate(), { type: 'gateDue', index: 1, at }, ctx);
    if (!after) return expect(d).toEqual({ ok: false, refused: 'Nothing is due on this gate.' });
    const n = ok(d);
    expect(n.next.steps[1]).toMatchObject({ status: 'waiting', ...after });
    expect(n.effects).toEqual([{ type: 'remind', index: 1 }]);
  });

  it('each reminder waits twice as long as the one before', () => {
    let r = atGate();
    const times: string[] = [];
    for (let i = 0; i < 3; i++) {
      r = ok(decide(r, { type: 'gateDue', index: 1, at: r.steps[1]!.remindAt! }, ctx)).next;
      times.push(r.steps[1]!.remindAt!);
    }
    // The first 4 h after the gate opened; then 8 h, 16 h and 32 h after each reminder.
    expect(times).toEqual([
      '2026-11-21T22:00:01.000Z',
      '2026-11-22T14:00:01.000Z',
      '2026-11-23T22:00:01.000Z',
    ]);
  });

  it('past its expiry, the run ends expired (expiry wins over a reminder due at the same time)', () => {
    const d = ok(decide(atGate(), { type: 'gateDue', index: 1, at: '2026-11-24T10:00:01.000Z' }, ctx));
    expect(d.next).toMatchObject({ status: 'expired', reason: 'Nobody approved production in time.' });
  });

  it.each([
    ['nobody approved', [], false, 'Nobody approved production in time.'],
    [
      'one of two approved',
      ['U5'],
      false,
      'production was not fully approved in time (1 of the 2 approvals it needs).',
    ],
    [
      'a rollback gate',
      [],
      true,
      'The rollback of production was not approved in time: what this run applied there stays applied.',
    ],
  ] as const)('an expiry when %s says so', (_, who, rollback, reason) => {
    const two = testContext({
      rules: () => [{ role: 'dba', users: ['U5', 'U6'], count: 2 }],
      gateTtlMs: 60_000,
    });
    const r = atGate(two);
    const gate = rollback
      ? { ...r, steps: r.steps.map((s, i) => (i === 1 ? { ...s, purpose: 'rollback' as const } : s)) }
      : r;
    const approvals = who.map((user) => ({ user, decision: 'approve' as const, at: T1 }));
    const d = ok(
      decide(gate, { type: 'gateDue', index: 1, at: '2026-11-21T10:02:00.000Z' }, { ...two, approvals }),
    );
    expect(d.next).toMatchObject({ status: 'expired', reason });
  });

  it('a scheduled gate whose window opened passes and the next step runs', () => {
    const scheduled = ok(
      decide(atGate(), { type: 'gateApproved', index: 1, at: T1, resumeAt: '2026-11-22T02:00:00.000Z' }, ctx),
    ).next;
    expect(
      decide(scheduled, { type: 'gateDue', index: 1, at: '2026-11-22T01:59:59.000Z' }, ctx),
    ).toMatchObject({ ok: false });
    const d = ok(decide(scheduled, { type: 'gateDue', index: 1, at: '2026-11-22T02:00:00.000Z' }, ctx));
    expect(d.next.steps[2]!.status).toBe('running');
  });
});
