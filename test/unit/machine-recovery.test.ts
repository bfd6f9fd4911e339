/** decide(): runs the bot finds after a stop — never begun, interrupted mid-step, interrupted mid-rollback. */
import { describe, expect, it } from 'vitest';
import { decide, planSteps } from '../../src/deploy/machine.js';
import type { Decision, Policy, Run, RunEvent } from '../../src/deploy/types.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:00:01.000Z';
const run = (gated: boolean): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'staging', gated: false }]),
  checksums: { '024_x': 'abc' },
  version: 0,
  createdAt: T0,
  ...(gated ? {} : {}),
});
const policyOf = (gated: boolean): Policy => ({ gateTtlMs: () => 3_600_000, gated: () => gated });
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const play = (r: Run, policy: Policy, ...events: RunEvent[]) =>
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
