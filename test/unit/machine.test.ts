import { describe, expect, it } from 'vitest';
import { decide, environmentsFor, planSteps } from '../../src/deploy/machine.js';
import type { Run } from '../../src/deploy/types.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:00:01.000Z';
const run = (patch: Partial<Run> = {}): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps(['staging']),
  version: 0,
  createdAt: T0,
  ...patch,
});

describe('decide', () => {
  it('begin runs the first step and renders the card', () => {
    const d = decide(run(), { type: 'begin', at: T0 });
    expect(d).toMatchObject({ ok: true, effects: [{ type: 'renderCard' }, { type: 'runStep', index: 0 }] });
    if (d.ok) {
      expect(d.next.steps[0]).toMatchObject({ status: 'running', startedAt: T0 });
      expect(d.next.version).toBe(1);
    }
  });

  it('a succeeded step starts the next; the last one ends the run', () => {
    let r = run();
    for (const e of [
      { type: 'begin', at: T0 } as const,
      { type: 'stepSucceeded', index: 0, at: T1, durationMs: 5, summary: '1 pending' } as const,
    ]) {
      const d = decide(r, e);
      if (!d.ok) throw new Error(d.refused);
      r = d.next;
    }
    expect(r.steps.map((s) => s.status)).toEqual(['succeeded', 'running']);
    const end = decide(r, { type: 'stepSucceeded', index: 1, at: T1, durationMs: 9, summary: '9 ms' });
    expect(end).toMatchObject({
      ok: true,
      next: { status: 'succeeded', finishedAt: T1 },
      effects: [{ type: 'renderCard' }],
    });
  });

  it('a failed step fails the run and skips the rest, with the reason', () => {
    const begun = decide(run(), { type: 'begin', at: T0 });
    if (!begun.ok) throw new Error();
    const d = decide(begun.next, {
      type: 'stepFailed',
      index: 0,
      at: T1,
      durationMs: 3,
      summary: 'failed',
      reason: 'drift',
    });
    expect(d).toMatchObject({ ok: true, next: { status: 'failed', reason: 'drift' } });
    if (d.ok) expect(d.next.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
  });

  it('refuses events for a step that is not running, and anything on an ended run', () => {
    expect(decide(run(), { type: 'stepSucceeded', index: 0, at: T1, durationMs: 1, summary: '' })).toEqual({
      ok: false,
      refused: 'Step 1 of run #7 is not running.',
    });
    expect(decide(run({ status: 'succeeded' }), { type: 'begin', at: T0 })).toEqual({
      ok: false,
      refused: 'Run #7 has already finished.',
    });
  });

  it('interrupted marks the running step failed and explains how to continue', () => {
    const begun = decide(run(), { type: 'begin', at: T0 });
    if (!begun.ok) throw new Error();
    const d = decide(begun.next, { type: 'interrupted', at: T1 });
    expect(d).toMatchObject({ ok: true, next: { status: 'failed' } });
    if (d.ok) {
      expect(d.next.reason).toContain('start the run again');
      expect(d.next.steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
    }
  });
});

describe('environmentsFor', () => {
  it('defaults to the first environment and accepts a named one', () => {
    expect(environmentsFor(['staging', 'production'], undefined)).toEqual({ ok: true, envs: ['staging'] });
    expect(environmentsFor(['staging', 'production'], 'production')).toEqual({
      ok: true,
      envs: ['production'],
    });
  });
  it('names the environments when one is unknown', () => {
    expect(environmentsFor(['staging'], 'prod')).toEqual({
      ok: false,
      refused: 'There is no environment "prod". Environments in deploy.yml: staging.',
    });
  });
});
