import { describe, expect, it } from 'vitest';
import {
  type Approval,
  checkCard,
  decideClick,
  type GatePolicy,
  progress,
  unsatisfiable,
} from '../../src/deploy/approvals.js';
import { planSteps } from '../../src/deploy/plan.js';
import { inWindow, nextOpening, type Window } from '../../src/deploy/schedule.js';
import type { Run } from '../../src/deploy/types.js';

const prod: GatePolicy = {
  env: 'production',
  allowSelfApproval: false,
  rules: [
    { role: 'product owner', users: ['UPO1', 'UPO2'], count: 1 },
    { role: 'dba', usergroup: 'SDBA', count: 1 },
  ],
};
const groups = { SDBA: ['UDBA1', 'UDBA2', 'UBOTH'] };
const yes = (user: string): Approval => ({ user, decision: 'approve', at: '2026-11-21T10:00:00.000Z' });
const click = (
  user: string,
  approvals: Approval[] = [],
  policy = prod,
  requester = 'UREQ',
  g: Record<string, string[]> = groups,
) => decideClick(policy, { user, requester, decision: 'approve', approvals, groups: g });

describe('decideClick', () => {
  it.each([
    [
      'an outsider',
      'UOUT',
      [],
      { ok: false, refused: 'You are not in a rule for production (needs: product owner, dba).' },
    ],
    ['a dba through the user group', 'UDBA1', [], { ok: true, satisfiesGate: false }],
    ['the last rule to hold', 'UPO1', [yes('UDBA1')], { ok: true, satisfiesGate: true }],
    [
      'a second click by the same person',
      'UDBA1',
      [yes('UDBA1')],
      { ok: false, refused: 'You already approved this at 2026-11-21 10:00 UTC; nothing changed.' },
    ],
    [
      'a second dba when the dba rule is full',
      'UDBA2',
      [yes('UDBA1')],
      {
        ok: false,
        refused:
          'Your approval would not count: the rules you are in already have the approvals they need (still needed: product owner).',
      },
    ],
    [
      'anyone once the gate holds',
      'UPO2',
      [yes('UDBA1'), yes('UPO1')],
      { ok: false, refused: 'production is already approved; nothing changed.' },
    ],
  ] as const)('%s', (_name, user, approvals, expected) => {
    expect(click(user, [...approvals])).toEqual(expected);
  });

  it('the requester cannot approve their own run unless the config allows it', () => {
    expect(click('UPO1', [], prod, 'UPO1')).toEqual({
      ok: false,
      refused: 'You requested this run; someone else must approve it.',
    });
    expect(click('UPO1', [], { ...prod, allowSelfApproval: true }, 'UPO1')).toEqual({
      ok: true,
      satisfiesGate: false,
    });
  });

  it('counts distinct people: a count of 2 needs two different approvers', () => {
    const two: GatePolicy = { ...prod, rules: [{ role: 'dba', usergroup: 'SDBA', count: 2 }] };
    expect(click('UDBA1', [], two)).toEqual({ ok: true, satisfiesGate: false });
    expect(click('UDBA1', [yes('UDBA1')], two)).toMatchObject({ ok: false });
    expect(click('UDBA2', [yes('UDBA1')], two)).toEqual({ ok: true, satisfiesGate: true });
  });

  it('a person in two rules counts for one, and is placed where they help most', () => {
    const both: GatePolicy = {
      ...prod,
      rules: [
        { role: 'dba', users: ['UBOTH', 'UDBA1'], count: 1 },
        { role: 'architect', users: ['UBOTH'], count: 1 },
      ],
    };
    // UDBA1 took the dba slot; UBOTH then fills architect: both rules hold.
    expect(click('UBOTH', [yes('UDBA1')], both)).toEqual({ ok: true, satisfiesGate: true });
    // UBOTH first: counted for one rule only, so the gate is not yet satisfied...
    expect(click('UBOTH', [], both)).toEqual({ ok: true, satisfiesGate: false });
    // ...and the matching moves UBOTH to architect when UDBA1 approves later.
    expect(click('UDBA1', [yes('UBOTH')], both)).toEqual({ ok: true, satisfiesGate: true });
    expect(progress(both, [yes('UBOTH'), yes('UDBA1')], {}).rules).toEqual([
      { role: 'dba', need: 1, approvers: ['UDBA1'] },
      { role: 'architect', need: 1, approvers: ['UBOTH'] },
    ]);
  });

  it('a rejection is recorded and does not count as approval', () => {
    expect(
      decideClick(prod, { user: 'UDBA1', requester: 'UREQ', decision: 'reject', approvals: [], groups }),
    ).toEqual({
      ok: true,
      satisfiesGate: false,
    });
    expect(progress(prod, [{ ...yes('UDBA1'), decision: 'reject' }], groups).satisfied).toBe(false);
  });
});

describe('unsatisfiable rules fail closed', () => {
  it('names the rule when only the requester could approve it', () => {
    const solo: GatePolicy = { ...prod, rules: [{ role: 'product owner', users: ['UPO1'], count: 1 }] };
    expect(unsatisfiable(solo, 'UPO1', {})).toBe(
      'The approval rules for production can never be met (product owner needs 1 person, not counting the requester). Fix the rules in deploy.yml; nothing was approved.',
    );
    expect(unsatisfiable({ ...solo, allowSelfApproval: true }, 'UPO1', {})).toBeUndefined();
  });
  it('an empty user group and one person needed by two rules are caught', () => {
    expect(unsatisfiable(prod, 'UREQ', { SDBA: [] })).toContain('dba needs 1 person');
    const shared: GatePolicy = {
      ...prod,
      rules: [
        { role: 'a', users: ['U1'], count: 1 },
        { role: 'b', users: ['U1'], count: 1 },
      ],
    };
    expect(unsatisfiable(shared, 'UREQ', {})).toContain('b needs 1 person');
    expect(unsatisfiable(prod, 'UREQ', groups)).toBeUndefined();
  });
});

describe('checkCard', () => {
  const run = (patch: Partial<Run> = {}): Run => ({
    id: 3,
    migration: '024_x',
    requestedBy: 'UREQ',
    channel: 'C1',
    status: 'running',
    steps: planSteps([{ name: 'production', gated: true }]).map((s, i) => ({
      ...s,
      status: i === 0 ? 'succeeded' : i === 1 ? 'waiting' : 'pending',
    })),
    checksums: { '024_x': 'abc' },
    version: 4,
    createdAt: '2026-11-21T10:00:00.000Z',
    ...patch,
  });
  it.each([
    ['the waiting gate with the right checksums', run(), { r: 3, i: 1, d: 'D1' }, { ok: true }],
    ['a stale card (another step)', run(), { r: 3, i: 0, d: 'D1' }, { ok: false, refresh: true }],
    ['a card for other checksums', run(), { r: 3, i: 1, d: 'OLD' }, { ok: false, refresh: true }],
    [
      'a cancelled run',
      run({ status: 'cancelled', endedBy: 'U9', finishedAt: '2026-11-21T11:00:00.000Z' }),
      { r: 3, i: 1, d: 'D1' },
      { ok: false, refused: 'This run was cancelled by <@U9> at 2026-11-21 11:00 UTC.' },
    ],
    [
      'an expired gate',
      run({ status: 'expired', finishedAt: '2026-11-24T10:00:00.000Z' }),
      { r: 3, i: 1, d: 'D1' },
      { ok: false, refused: 'This run expired at 2026-11-24 10:00 UTC: nobody approved it in time.' },
    ],
    [
      'a run that does not exist',
      undefined,
      { r: 9, i: 1, d: 'D1' },
      { ok: false, refused: 'There is no run #9.' },
    ],
  ] as const)('%s', (_name, r, card, expected) => {
    expect(checkCard(r, card, 'D1')).toMatchObject(expected);
  });
});

describe('deployment windows (time passed in)', () => {
  const w: Window = { days: ['tue', 'wed', 'thu'], from: '02:00', to: '06:00', timezone: 'UTC' };
  it.each([
    ['Tue 02:00 UTC (opens)', '2026-11-24T02:00:00Z', true],
    ['Tue 05:59 UTC', '2026-11-24T05:59:00Z', true],
    ['Tue 06:00 UTC (closed)', '2026-11-24T06:00:00Z', false],
    ['Mon 03:00 UTC (wrong day)', '2026-11-23T03:00:00Z', false],
  ])('%s', (_n, at, expected) => {
    expect(inWindow(new Date(at), w)).toBe(expected);
  });
  it('finds the next opening, across days and time zones and midnight', () => {
    expect(nextOpening(new Date('2026-11-21T12:00:00Z'), w)?.toISOString()).toBe('2026-11-24T02:00:00.000Z');
    const berlin: Window = { days: ['sat'], from: '22:00', to: '02:00', timezone: 'Europe/Berlin' };
    expect(nextOpening(new Date('2026-11-21T12:00:00Z'), berlin)?.toISOString()).toBe(
      '2026-11-21T21:00:00.000Z',
    );
    expect(inWindow(new Date('2026-11-22T00:30:00Z'), berlin)).toBe(true); // Sun 01:30 Berlin, still Saturday's window
  });
});
