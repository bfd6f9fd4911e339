/**
 * Approval stages as tables: technical (2 of dba U5, U6, U7) → business (product U5 or U8) → go/no-go (lead U9).
 * Each stage is its own gate; one person counts in one stage only.
 */
import { describe, expect, it } from 'vitest';
import type { ApprovalStage } from '../../src/deploy/approvals.js';
import type { Context, Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:00:01.000Z';
const T2 = '2026-11-21T10:05:00.000Z';
const STAGES: ApprovalStage[] = [
  { name: 'technical', rules: [{ role: 'dba', users: ['U5', 'U6', 'U7'], count: 2 }] },
  { name: 'business', rules: [{ role: 'product', users: ['U5', 'U8'], count: 1 }] },
  { name: 'go/no-go', rules: [{ role: 'lead', users: ['U9'], count: 1 }] },
];
const base = testContext({ gated: () => true });
const ctx: Context = {
  ...base,
  digest: 'D1',
  policy: {
    ...base.policy,
    gated: () => true,
    gate: (env, stage) => ({
      env,
      ...(stage === undefined
        ? { rules: STAGES[0]!.rules }
        : { stage, rules: STAGES.find((s) => s.name === stage)?.rules ?? [] }),
      allowSelfApproval: false,
    }),
    stages: () => STAGES.map((s) => s.name),
  },
};
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const run: Run = {
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'production', gated: true, stages: ctx.policy.stages!('production') }]),
  checksums: { '024_x': 'abc' },
  version: 0,
  createdAt: T0,
};
const click = (index: number, by: string, decision: 'approve' | 'reject' = 'approve'): RunEvent => ({
  type: 'approvalClicked',
  index,
  at: T2,
  by,
  decision,
  digest: 'D1',
  ...(decision === 'reject' ? { reason: 'not this week' } : {}),
});
/** Preflight done: the technical gate (index 1) waits. */
const atTechnical = () =>
  [
    { type: 'begin', at: T0 } as RunEvent,
    { type: 'stepSucceeded', index: 0, at: T1, durationMs: 5, summary: 'ok' } as RunEvent,
  ].reduce((r, e) => ok(decide(r, e, ctx)).next, run);
const approval = (index: number, user: string) => ({ index, user, decision: 'approve' as const, at: T1 });

describe('approval stages', () => {
  it('plans one gate per stage, in order, between preflight and apply', () => {
    expect(run.steps.map((s) => `${s.name}${s.stage ? `:${s.stage}` : ''}`)).toEqual([
      'preflight',
      'approval:technical',
      'approval:business',
      'approval:go/no-go',
      'apply',
      'verify',
    ]);
    // A list of rules is still one gate without a stage.
    expect(planSteps([{ name: 'production', gated: true, stages: [] }]).map((s) => s.stage)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('opens only the first stage; the next opens (its own card) once the one before passed', () => {
    const r = atTechnical();
    expect(r.steps.map((s) => s.status)).toEqual([
      'succeeded',
      'waiting',
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    // The first of the two dbas counts; the gate still needs one more.
    const one = ok(decide(r, click(1, 'U5'), { ...ctx, approvals: [] }));
    expect(one.next).toBe(r);
    expect(one.effects).toEqual([{ type: 'renderAll' }]);
    const two = ok(decide(r, click(1, 'U6'), { ...ctx, approvals: [approval(1, 'U5')] }));
    expect(two.next.steps.map((s) => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'waiting',
      'pending',
      'pending',
      'pending',
    ]);
    expect(two.effects).toContainEqual({ type: 'openGate', index: 2 });
    expect(two.effects).toContainEqual({ type: 'renderGate', index: 1 });
    // A click that lost the race to the approval that passed the stage hears which stage.
    expect(decide(two.next, click(1, 'U7'), { ...ctx, approvals: [] })).toMatchObject({
      ok: false,
      refused: 'The technical stage of production is already approved; nothing changed.',
    });
  });

  it('refuses, with a sentence and nothing recorded, an approval by someone who approved an earlier stage', () => {
    const r = ok(decide(atTechnical(), click(1, 'U6'), { ...ctx, approvals: [approval(1, 'U5')] })).next;
    const d = decide(r, click(2, 'U5'), {
      ...ctx,
      approvals: [],
      otherGates: [approval(1, 'U5'), approval(1, 'U6')],
    });
    const why =
      'You approved the technical stage of production 2026-11-21 10:00 UTC, and one person counts in one stage only: someone else must approve the business stage. Nothing was recorded.';
    expect(d).toMatchObject({ ok: false, refused: why });
    expect(d.records).toEqual([
      {
        type: 'audit',
        actor: 'U5',
        action: 'click.refused',
        detail: { decision: 'approve', gate: 2, refused: why },
      },
    ]);
    // Someone who did not approve before counts, and the go/no-go stage opens.
    const d8 = ok(decide(r, click(2, 'U8'), { ...ctx, approvals: [], otherGates: [approval(1, 'U5')] }));
    expect(d8.records?.[0]).toMatchObject({ type: 'approval', index: 2, user: 'U8' });
    expect(d8.effects).toContainEqual({ type: 'openGate', index: 3 });
  });

  it('says who a stage needs: a person outside its rules is refused naming the stage', () => {
    const r = ok(decide(atTechnical(), click(1, 'U6'), { ...ctx, approvals: [approval(1, 'U5')] })).next;
    expect(decide(r, click(2, 'U9'), { ...ctx, approvals: [], otherGates: [] })).toMatchObject({
      ok: false,
      refused: 'You are not in a rule for the business stage of production (needs: product).',
    });
  });

  it('a rejection at the business stage ends the run as rejected; later stages and apply are skipped', () => {
    const r = ok(decide(atTechnical(), click(1, 'U6'), { ...ctx, approvals: [approval(1, 'U5')] })).next;
    // A rejection is always theirs to give, even by someone who approved an earlier stage.
    const d = ok(
      decide(r, click(2, 'U5', 'reject'), { ...ctx, approvals: [], otherGates: [approval(1, 'U5')] }),
    );
    expect(d.next.status).toBe('rejected');
    expect(d.next.endedBy).toBe('U5');
    expect(d.next.steps.map((s) => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'skipped',
      'skipped',
      'skipped',
    ]);
  });

  it('a stage that expires says which stage was not approved in time', () => {
    const r = ok(decide(atTechnical(), click(1, 'U6'), { ...ctx, approvals: [approval(1, 'U5')] })).next;
    const d = ok(
      decide(r, { type: 'gateDue', index: 2, at: r.steps[2]!.expiresAt! }, { ...ctx, approvals: [] }),
    );
    expect(d.next.status).toBe('expired');
    expect(d.next.reason).toBe('Nobody approved the business stage of production in time.');
  });
});
