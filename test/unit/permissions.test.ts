import { describe, expect, it } from 'vitest';
import { type Action, may, type Person } from '../../src/deploy/permissions.js';

const REQ = 'U0REQ';
const person = (kind: 'requester' | 'approver' | 'oncall' | 'outsider' | 'approver+requester'): Person => ({
  id: kind.includes('requester') ? REQ : `U0${kind.toUpperCase().replace('+', '')}`,
  approver: kind.startsWith('approver'),
  oncall: kind === 'oncall',
});
const run = { id: 7, requestedBy: REQ };
const prod = { env: 'production', gated: true, run };

// One row per (action, person): allowed, or the start of the refusal.
const TABLE: [Action, Parameters<typeof person>[0], true | string][] = [
  ['cancel', 'requester', true],
  ['cancel', 'approver', true],
  [
    'cancel',
    'oncall',
    'Only <@U0REQ> (who requested run #7) or an approver for production can cancel run #7.',
  ],
  [
    'cancel',
    'outsider',
    'Only <@U0REQ> (who requested run #7) or an approver for production can cancel run #7.',
  ],
  ['rollback', 'requester', true],
  ['rollback', 'approver', true],
  ['rollback', 'oncall', true],
  [
    'rollback',
    'outsider',
    'Only <@U0REQ> (who requested run #7), an approver for production or on-call can roll back run #7 on production.',
  ],
  ['restore', 'requester', true],
  ['restore', 'approver', true],
  ['restore', 'oncall', true],
  [
    'restore',
    'outsider',
    "Only <@U0REQ> (who requested run #7), an approver for production or on-call can restore run #7's backup on production.",
  ],
  ['rerunVerify', 'requester', true],
  ['rerunVerify', 'approver', true],
  [
    'rerunVerify',
    'oncall',
    'Only <@U0REQ> (who requested run #7) or an approver for production can re-run verification of run #7.',
  ],
  ['verifyNow', 'requester', true],
  ['verifyNow', 'approver', true],
  ['verifyNow', 'oncall', true],
  [
    'verifyNow',
    'outsider',
    "Only <@U0REQ> (who requested run #7), production's approvers or on-call can run checks on production.",
  ],
  ['checkpoint', 'requester', true],
  ['checkpoint', 'approver', true],
  ['checkpoint', 'oncall', true],
  [
    'checkpoint',
    'outsider',
    'Only <@U0REQ> (who requested run #7), an approver for production or on-call can take a checkpoint of run #7.',
  ],
  [
    'watch',
    'outsider',
    'Only <@U0REQ> (who requested run #7), an approver for production or on-call can watch run #7.',
  ],
  ['watch', 'oncall', true],
  ['acknowledge', 'approver', true],
  ['acknowledge', 'oncall', true],
  ['acknowledge', 'requester', "Only production's approvers or on-call can answer alerts on production."],
  ['acknowledge', 'approver+requester', true],
  ['acknowledge', 'outsider', "Only production's approvers or on-call can answer alerts on production."],
];

describe('who may do what to a run', () => {
  it.each(TABLE)('%s by the %s → %s', (action, kind, expected) => {
    expect(may(person(kind), action, prod)).toBe(expected);
  });

  it('checks outside a run: on a gated environment only its approvers and on-call; elsewhere anyone', () => {
    const noRun = { env: 'production', gated: true };
    expect(may(person('outsider'), 'verifyNow', noRun)).toBe(
      "Only production's approvers or on-call can run checks on production.",
    );
    expect(may(person('requester'), 'verifyNow', noRun)).not.toBe(true);
    expect(may(person('oncall'), 'verifyNow', noRun)).toBe(true);
    expect(may(person('outsider'), 'verifyNow', { env: 'staging', gated: false })).toBe(true);
  });
});
