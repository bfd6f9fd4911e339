import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { environmentsFor, planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const policy = testContext({ gated: (env) => env === 'production' });
const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:00:01.000Z';
const run = (patch: Partial<Run> = {}): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'staging', gated: false }]),
  checksums: { '024_x': 'abc' },
  version: 0,
  createdAt: T0,
  ...patch,
});
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const play = (r: Run, ...events: RunEvent[]) => events.reduce((acc, e) => ok(decide(acc, e, policy)).next, r);
const succeed = (index: number): RunEvent => ({
  type: 'stepSucceeded',
  index,
  at: T1,
  durationMs: 5,
  summary: 'ok',
});

describe('decide: a run without gates', () => {
  it('begin runs the first step and renders the card', () => {
    const d = ok(decide(run(), { type: 'begin', at: T0 }, policy));
    expect(d.effects).toEqual([{ type: 'renderCard' }, { type: 'runStep', index: 0 }]);
    expect(d.next.steps[0]).toMatchObject({ status: 'running', startedAt: T0 });
    expect(d.next.version).toBe(1);
  });

  it('a succeeded step starts the next; the last one ends the run with a report', () => {
    const r = play(run(), { type: 'begin', at: T0 }, succeed(0), succeed(1));
    expect(r.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'running']);
    const end = ok(decide(r, succeed(2), policy));
    expect(end.next).toMatchObject({ status: 'succeeded', finishedAt: T1 });
    expect(end.effects).toEqual([{ type: 'renderCard' }, { type: 'report' }]);
  });

  it('a failed step fails the run and skips the rest, with the reason', () => {
    const r = play(run(), { type: 'begin', at: T0 });
    const d = ok(
      decide(
        r,
        { type: 'stepFailed', index: 0, at: T1, durationMs: 3, summary: 'failed', reason: 'drift' },
        policy,
      ),
    );
    expect(d.next).toMatchObject({ status: 'failed', reason: 'drift' });
    expect(d.next.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped']);
  });

  it('refuses events for a step that is not running, and anything on an ended run', () => {
    expect(decide(run(), succeed(0), policy)).toEqual({
      ok: false,
      refused: 'Step 1 of run #7 is not running.',
    });
    expect(decide(run({ status: 'succeeded' }), { type: 'begin', at: T0 }, policy)).toEqual({
      ok: false,
      refused: 'Run #7 has already finished.',
    });
    expect(
      decide(run({ status: 'cancelled', endedBy: 'U9', finishedAt: T1 }), { type: 'begin', at: T0 }, policy),
    ).toEqual({
      ok: false,
      refused: 'This run was cancelled by <@U9> at 2026-11-21 10:00 UTC.',
    });
  });

  it('interrupted marks the running step failed and explains how to continue', () => {
    const d = ok(decide(play(run(), { type: 'begin', at: T0 }), { type: 'interrupted', at: T1 }, policy));
    expect(d.next.status).toBe('failed');
    expect(d.next.reason).toContain('start the run again');
    expect(d.next.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped']);
  });

  it('failed verification blocks the run: re-run, or roll back (no gate on an ungated environment)', () => {
    const r = play(run(), { type: 'begin', at: T0 }, succeed(0), succeed(1));
    const fail = ok(
      decide(
        r,
        {
          type: 'stepFailed',
          index: 2,
          at: T1,
          durationMs: 9,
          summary: '5/6',
          reason: 'Verification failed on staging: RPC deployed.',
        },
        policy,
      ),
    );
    expect(fail.next.status).toBe('running');
    expect(fail.next.steps[2]).toMatchObject({ status: 'blocked', summary: '5/6' });
    const again = ok(decide(fail.next, { type: 'rerunVerify', index: 2, at: T1, by: 'U1' }, policy));
    expect(again.effects).toContainEqual({ type: 'runStep', index: 2 });
    const back = ok(
      decide(
        fail.next,
        { type: 'rollbackRequested', index: 2, at: T1, by: 'U1', reason: 'checks failed' },
        policy,
      ),
    );
    expect(back.next.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'preflight:succeeded',
      'apply:succeeded',
      'verify:failed',
      'rollback:running',
    ]);
    const done = ok(decide(back.next, succeed(3), policy));
    expect(done.next).toMatchObject({ status: 'rolled_back', reason: 'checks failed', endedBy: 'U1' });
  });
});

describe('decide: a pipeline with a gate', () => {
  const gated = () =>
    run({
      steps: planSteps([
        { name: 'staging', gated: false },
        { name: 'production', gated: true },
      ]),
    });
  const atGate = () =>
    play(gated(), { type: 'begin', at: T0 }, succeed(0), succeed(1), succeed(2), succeed(3));

  it('staging preflight → apply → production preflight → gate opens with an expiry', () => {
    const r = play(gated(), { type: 'begin', at: T0 }, succeed(0), succeed(1), succeed(2));
    const d = ok(decide(r, succeed(3), policy));
    expect(d.next.steps.map((s) => `${s.env}:${s.name}:${s.status}`)).toEqual([
      'staging:preflight:succeeded',
      'staging:apply:succeeded',
      'staging:verify:succeeded',
      'production:preflight:succeeded',
      'production:approval:waiting',
      'production:apply:pending',
      'production:verify:pending',
    ]);
    expect(d.next.steps[4]!.expiresAt).toBe('2026-11-21T11:00:01.000Z');
    expect(d.effects).toEqual([{ type: 'renderCard' }, { type: 'openGate', index: 4 }]);
  });

  it('approval inside the window runs apply; outside it, the gate is scheduled and resumes when it opens', () => {
    const now = ok(decide(atGate(), { type: 'gateApproved', index: 4, at: T1 }, policy));
    expect(now.next.steps[5]!.status).toBe('running');
    expect(now.effects).toContainEqual({ type: 'runStep', index: 5 });

    const later = ok(
      decide(
        atGate(),
        { type: 'gateApproved', index: 4, at: T1, resumeAt: '2026-11-22T02:00:00.000Z' },
        policy,
      ),
    );
    expect(later.next.steps[4]).toMatchObject({ status: 'scheduled', resumeAt: '2026-11-22T02:00:00.000Z' });
    expect(later.effects).not.toContainEqual(expect.objectContaining({ type: 'runStep' }));
    const opened = ok(
      decide(later.next, { type: 'windowOpened', index: 4, at: '2026-11-22T02:00:00.000Z' }, policy),
    );
    expect(opened.next.steps[5]!.status).toBe('running');
  });

  it('reject ends the run as rejected with who and why; expiry ends it as expired', () => {
    const rej = ok(
      decide(atGate(), { type: 'gateRejected', index: 4, at: T1, by: 'U5', reason: 'not tonight' }, policy),
    );
    expect(rej.next).toMatchObject({ status: 'rejected', endedBy: 'U5', reason: 'not tonight' });
    expect(rej.effects).toContainEqual({ type: 'renderGate', index: 4 });
    const exp = ok(decide(atGate(), { type: 'gateExpired', index: 4, at: T1 }, policy));
    expect(exp.next.status).toBe('expired');
  });

  it('a rollback on a gated environment goes through its own gate first', () => {
    const verifying = play(atGate(), { type: 'gateApproved', index: 4, at: T1 }, succeed(5));
    const blocked = ok(
      decide(
        verifying,
        { type: 'stepFailed', index: 6, at: T1, durationMs: 1, summary: '0/1', reason: 'bad' },
        policy,
      ),
    ).next;
    const back = ok(
      decide(blocked, { type: 'rollbackRequested', index: 6, at: T1, by: 'U2', reason: 'bad' }, policy),
    );
    expect(back.next.steps.slice(7).map((s) => `${s.name}:${s.status}:${s.purpose}`)).toEqual([
      'approval:waiting:rollback',
      'rollback:pending:rollback',
    ]);
    expect(back.effects).toContainEqual({ type: 'openGate', index: 7 });
  });

  it('a stale gate index is refused; cancel works while waiting but not mid-step', () => {
    expect(decide(atGate(), { type: 'gateApproved', index: 3, at: T1 }, policy)).toEqual({
      ok: false,
      refused: 'This gate is not waiting for approvals.',
    });
    expect(ok(decide(atGate(), { type: 'cancel', at: T1, by: 'U1' }, policy)).next).toMatchObject({
      status: 'cancelled',
      endedBy: 'U1',
    });
    const working = play(gated(), { type: 'begin', at: T0 });
    expect(decide(working, { type: 'cancel', at: T1, by: 'U1' }, policy)).toMatchObject({ ok: false });
  });
});

describe('environmentsFor', () => {
  it('goes through every environment in order, or up to the one named', () => {
    expect(environmentsFor(['staging', 'production'], undefined)).toEqual({
      ok: true,
      envs: ['staging', 'production'],
    });
    expect(environmentsFor(['staging', 'production'], 'staging')).toEqual({ ok: true, envs: ['staging'] });
    expect(environmentsFor(['dev', 'staging', 'production'], 'staging')).toEqual({
      ok: true,
      envs: ['dev', 'staging'],
    });
  });
  it('names the environments when one is unknown', () => {
    expect(environmentsFor(['staging'], 'prod')).toEqual({
      ok: false,
      refused: 'There is no environment "prod". Environments in deploy.yml: staging.',
    });
  });
});

describe('decide: nothing to apply on an environment', () => {
  it('skips its gate, apply and monitor; verify still runs; the next step after verify is the next pending one', () => {
    const r = run({
      steps: planSteps([
        { name: 'staging', gated: false },
        { name: 'production', gated: true, monitored: true },
      ]),
    });
    const atProd = play(r, { type: 'begin', at: T0 }, succeed(0), succeed(1), succeed(2));
    const names = atProd.steps.map((s) => `${s.env}:${s.name}`);
    const pre = names.indexOf('production:preflight');
    const d = ok(decide(atProd, { ...succeed(pre), nothingToApply: true } as RunEvent, policy));
    const prod = d.next.steps
      .slice(pre)
      .map((s) => `${s.name}:${s.status}${s.summary?.startsWith('nothing') ? ' (nothing to apply)' : ''}`);
    expect(prod).toEqual([
      'preflight:succeeded',
      'approval:skipped (nothing to apply)',
      'apply:skipped (nothing to apply)',
      'verify:running',
      'monitor:skipped (nothing to apply)',
    ]);
    expect(d.effects).not.toContainEqual({ type: 'openGate', index: pre + 1 });
    // verify succeeds: the run ends; the skipped monitor is not entered.
    const end = ok(decide(d.next, succeed(pre + 3), policy));
    expect(end.next.status).toBe('succeeded');
    expect(end.next.steps.at(-1)!.status).toBe('skipped');
  });
});
