/**
 * Backups and restores in decide(): the backup step's place in a run, a rollback that offers Restore from backup,
 * who may press it, its gate, and how the run ends. Given / when / then.
 */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent, Step } from '../../src/deploy/types.js';
import { runCard } from '../../src/slack/run-card.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:05:00.000Z';
const T2 = '2026-11-21T10:06:00.000Z';
// production is gated (dba U5/U6/U7); on-call U2, U3, U9; U1 requested the run; U8 is nobody.
const ctx = testContext({ gated: (env) => env === 'production' });

const runOf = (steps: Step[], extra: Partial<Run> = {}): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps,
  checksums: { '024_x': 'abc' },
  version: 3,
  createdAt: T0,
  ...extra,
});
const next = (d: Decision) => {
  if (!d.ok) throw new Error(`refused: ${d.refused}`);
  return d.next;
};
const shape = (r: Run) => r.steps.map((s) => `${s.name}${s.purpose ? '(rb)' : ''}:${s.status}`);

describe('the backup step', () => {
  it('comes after the gate and right before apply, only where backup: is set', () => {
    const steps = planSteps([
      { name: 'staging', gated: false, backup: true },
      { name: 'production', gated: true, monitored: true, backup: true },
      { name: 'dev', gated: false },
    ]);
    expect(steps.map((s) => `${s.env} ${s.name}`)).toEqual([
      'staging preflight',
      'staging backup',
      'staging apply',
      'staging verify',
      'production preflight',
      'production approval',
      'production backup',
      'production apply',
      'production verify',
      'production monitor',
      'dev preflight',
      'dev apply',
      'dev verify',
    ]);
  });

  it('is skipped with the gate and apply when nothing is pending (verify still runs); a failed backup fails the run before apply', () => {
    const steps = planSteps([{ name: 'production', gated: true, backup: true }]);
    const started = runOf(steps.map((s, i) => ({ ...s, status: i === 0 ? 'running' : 'pending' })));
    const nothing = next(
      decide(
        started,
        { type: 'stepSucceeded', index: 0, at: T1, durationMs: 5, summary: 'nothing', nothingToApply: true },
        ctx,
      ),
    );
    expect(shape(nothing)).toEqual([
      'preflight:succeeded',
      'approval:skipped',
      'backup:skipped',
      'apply:skipped',
      'verify:running', // the checks still run: nothing pending is not the same as verified
    ]);
    const backingUp = runOf(
      steps.map((s, i) => ({ ...s, status: i < 2 ? 'succeeded' : i === 2 ? 'running' : 'pending' })),
    );
    const failed = next(
      decide(
        backingUp,
        {
          type: 'stepFailed',
          index: 2,
          at: T1,
          durationMs: 5,
          summary: 'failed',
          reason: 'The backup on production failed: 57014 canceling statement due to statement timeout.',
        },
        ctx,
      ),
    );
    expect(failed.status).toBe('failed');
    expect(shape(failed)).toEqual([
      'preflight:succeeded',
      'approval:succeeded',
      'backup:failed',
      'apply:skipped',
      'verify:skipped',
    ]);
  });
});

describe('a rollback that offers Restore from backup', () => {
  // staging: preflight 0, backup 1, apply 2, verify 3 (held), rollback 4 (running)
  const rollingBack = (env = 'staging') =>
    runOf(
      [
        { env, name: 'preflight', status: 'succeeded' },
        { env, name: 'backup', status: 'succeeded' },
        { env, name: 'apply', status: 'succeeded' },
        { env, name: 'verify', status: 'failed' },
        { env, name: 'rollback', status: 'running', purpose: 'rollback' },
      ],
      { reason: 'Verification failed on staging.', endedBy: 'U1' },
    );
  const rolledBack = (restorable: boolean, env = 'staging') =>
    decide(
      rollingBack(env),
      {
        type: 'stepSucceeded',
        index: 4,
        at: T1,
        durationMs: 20,
        summary: '1 file undone',
        ...(restorable ? { restorable } : {}),
      },
      ctx,
    );
  const offered = (env = 'staging') => next(rolledBack(true, env));

  it('ends rolled back when the backup has nothing the down files could not bring back', () => {
    expect(next(rolledBack(false)).status).toBe('rolled_back');
  });

  it('holds on a restore step otherwise, the environment still taken, and redraws the card', () => {
    const d = rolledBack(true);
    expect(d.ok && d.effects).toEqual([{ type: 'renderCard' }]);
    const r = offered();
    expect(r.status).toBe('running');
    expect(shape(r).slice(4)).toEqual(['rollback(rb):succeeded', 'restore(rb):blocked']);
  });

  const press = (r: Run, type: 'restoreRequested' | 'restoreDeclined', by: string): Decision =>
    decide(r, { type, index: 5, at: T2, by } as RunEvent, ctx);

  it.each([
    ['the requester', 'U1'],
    ['on-call', 'U2'],
  ])('Restore from backup by %s runs the restore at once on an ungated environment', (_, by) => {
    const d = press(offered(), 'restoreRequested', by);
    expect(d.ok && d.effects).toEqual([{ type: 'renderCard' }, { type: 'runStep', index: 5 }]);
    expect(d.ok && d.records).toEqual([
      { type: 'audit', actor: by, action: 'restore.requested', detail: { env: 'staging' } },
    ]);
    expect(shape(next(d)).at(-1)).toBe('restore(rb):running');
  });

  it('a wrong person is refused with a sentence, and the run does not change', () => {
    const d = press(offered(), 'restoreRequested', 'U8');
    expect(d).toEqual({
      ok: false,
      refused:
        "Only <@U1> (who requested run #7), an approver for staging or on-call can restore run #7's backup on staging.",
      records: [
        {
          type: 'audit',
          actor: 'U8',
          action: 'restore.refused',
          detail: {
            refused:
              "Only <@U1> (who requested run #7), an approver for staging or on-call can restore run #7's backup on staging.",
          },
        },
      ],
    });
    expect(press(offered(), 'restoreDeclined', 'U8').ok).toBe(false);
  });

  it('on a gated environment it goes through a gate, which whoever asked may not approve, and then restores', () => {
    const r = next(press(offered('production'), 'restoreRequested', 'U5'));
    expect(shape(r).slice(4)).toEqual([
      'rollback(rb):succeeded',
      'approval(rb):waiting',
      'restore(rb):pending',
    ]);
    expect(r.endedBy).toBe('U5');
    const self = decide(
      r,
      { type: 'approvalClicked', index: 5, at: T2, by: 'U5', decision: 'approve', digest: 'd' },
      { ...ctx, digest: 'd' },
    );
    expect(self.ok).toBe(false);
    const approved = next(
      decide(
        r,
        { type: 'approvalClicked', index: 5, at: T2, by: 'U6', decision: 'approve', digest: 'd' },
        { ...ctx, digest: 'd' },
      ),
    );
    expect(shape(approved).slice(5)).toEqual(['approval(rb):succeeded', 'restore(rb):running']);
    const restored = next(
      decide(approved, { type: 'stepSucceeded', index: 6, at: T2, durationMs: 9, summary: '1 table' }, ctx),
    );
    expect(restored.status).toBe('rolled_back');
  });

  it('a rejected restore gate ends the run rolled back, saying its data was not restored', () => {
    const r = next(press(offered('production'), 'restoreRequested', 'U5'));
    const d = next(decide(r, { type: 'gateRejected', index: 5, at: T2, by: 'U6', reason: 'not now' }, ctx));
    expect(d.status).toBe('rolled_back');
    expect(d.reason).toBe(
      'The restore of production was rejected by <@U6> (not now): the rollback stands, its data was not restored.',
    );
  });

  it('Finish without restoring ends the run rolled back; a failed restore holds the offer again', () => {
    const finished = next(press(offered(), 'restoreDeclined', 'U1'));
    expect(finished.status).toBe('rolled_back');
    expect(finished.reason).toBe('Verification failed on staging.');
    expect(shape(finished).at(-1)).toBe('restore(rb):skipped');
    const running = next(press(offered(), 'restoreRequested', 'U1'));
    const failed = next(
      decide(
        running,
        {
          type: 'stepFailed',
          index: 5,
          at: T2,
          durationMs: 9,
          summary: 'failed',
          reason: 'The backup … is gone',
        },
        ctx,
      ),
    );
    expect(failed.status).toBe('running');
    expect(failed.reason).toBe('Verification failed on staging.');
    expect(shape(failed).at(-1)).toBe('restore(rb):blocked');
  });

  it('a press on a card that moved on is refused and the cards refreshed', () => {
    const d = press(next(press(offered(), 'restoreDeclined', 'U1')), 'restoreRequested', 'U1');
    expect(d.ok).toBe(false);
    const running = next(press(offered(), 'restoreRequested', 'U1'));
    expect(press(running, 'restoreRequested', 'U1')).toMatchObject({
      ok: false,
      refused: 'That card was out of date: no restore is waiting for a decision. It has been refreshed.',
      refresh: true,
    });
  });

  it('a restore cut short by the bot stopping holds the offer again (it is one transaction)', () => {
    const running = next(press(offered(), 'restoreRequested', 'U1'));
    const cut = next(decide(running, { type: 'interrupted', at: T2 }, ctx));
    expect(cut.status).toBe('running');
    expect(shape(cut).at(-1)).toBe('restore(rb):blocked');
  });
});

describe('the run card says plainly what is offered and what happened', () => {
  const steps = (env = 'staging'): Step[] => [
    { env, name: 'preflight', status: 'succeeded' },
    { env, name: 'backup', status: 'succeeded' },
    { env, name: 'apply', status: 'succeeded' },
    { env, name: 'verify', status: 'failed' },
    { env, name: 'rollback', status: 'running', purpose: 'rollback' },
  ];
  const offered = next(
    decide(
      runOf(steps(), { reason: 'Verification failed on staging.', endedBy: 'U1' }),
      { type: 'stepSucceeded', index: 4, at: T1, durationMs: 20, summary: '1 file undone', restorable: true },
      ctx,
    ),
  );
  const card = (r: Run) => JSON.stringify(runCard(r).blocks);

  it('offered: "restore from backup offered, waiting for …", not "restore offered"', () => {
    expect(card(offered)).toContain(
      '⛔ restore from backup offered, waiting for Restore from backup or Finish without restoring',
    );
    expect(card(offered)).not.toContain('restore offered');
  });

  it('declined: "restore from backup declined: Finish without restoring was pressed", not "restore not restored"', () => {
    const declined = next(
      decide(offered, { type: 'restoreDeclined', index: 5, at: T2, by: 'U1' } as RunEvent, ctx),
    );
    expect(card(declined)).toContain('⏭️ restore from backup declined: Finish without restoring was pressed');
    expect(card(declined)).not.toContain('not restored');
  });
});
