/**
 * Several services in one run, rolled back (docs/services.md): a trigger on one service's monitor stops the others
 * and adds one rollback step per service the plan undoes, the one applied last first (after one rollback gate where
 * the environment has approvals); an apply that fails in the middle holds the run for Roll back.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/deploy/machine.js';
import type { Judged } from '../../src/deploy/monitoring.js';
import type { RollbackPlan } from '../../src/deploy/rollback-plan.js';
import type { RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';
import { at, begun, ctx, done, line, ok, staging, T1, T2, untilIdle, walk } from '../support/services-run.js';

describe('decide: a rollback from one service’s monitor', () => {
  const rules = [{ key: 'marketplace_error_rate', consecutive: 1, rollback: true, dryRun: false }];
  const critical: Judged = {
    key: 'marketplace_error_rate',
    value: 26.9,
    raw: 'critical',
    level: 'critical',
    streak: 1,
    line: '> 5',
  };
  const plan: RollbackPlan = {
    undo: ['academy/001_academy', 'marketplace/001_marketplace', 'community/001_community'],
    keep: [],
    missingDown: [],
  };
  const trigger = (index: number, rollback = plan): RunEvent => ({
    type: 'checkpointJudged',
    index,
    at: T2,
    judged: [critical],
    pending: 3,
    onDemand: false,
    progress: 'monitor 2/5 checkpoints · next 10:25',
    rollback,
  });

  it('with autoRollback: the others stop, then one rollback per service, the one applied last first', () => {
    const auto = testContext({ metrics: rules, autoRollback: () => true });
    const r = untilIdle(begun([staging]), auto);
    const d = ok(decide(r, trigger(10), auto));
    expect(d.next.steps.map((s) => `${line(s)} ${s.status}`)).toEqual([
      ...r.steps.slice(0, 9).map((s) => `${line(s)} succeeded`),
      'staging community monitor skipped',
      'staging marketplace monitor failed',
      'staging academy monitor skipped',
      'staging academy rollback/rollback running',
      'staging marketplace rollback/rollback pending',
      'staging community rollback/rollback pending',
    ]);
    expect(d.next.steps[9]).toMatchObject({ summary: 'stopped for the rollback', finishedAt: T2 });
    expect(d.next.reason).toMatch(/marketplace_error_rate/);
    expect(d.effects.find((e) => e.type === 'alert')).toMatchObject({
      index: 10,
      level: 'critical',
      rollback: { when: 'now' },
    });
    expect(d.effects.find((e) => e.type === 'runStep')).toEqual({ type: 'runStep', index: 12 });
    // Each rollback that ends starts the next; the last ends the run rolled back.
    const rolled = walk(d.next, [done(12), done(13), done(14)], auto);
    expect(rolled.status).toBe('rolled_back');
    expect(rolled.steps.filter((s) => s.name === 'rollback').map((s) => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
  });

  // The rollback steps go after the last monitor watching, so no monitor moves: chartWhenWatchEnds and the
  // checkpoint rows name steps by index (found by this test: they were inserted after the one that triggered).
  it('each monitor that stopped gets its chart, drawn for that monitor step of the saved run', () => {
    const auto = testContext({ metrics: rules, autoRollback: () => true });
    const d = ok(decide(untilIdle(begun([staging]), auto), trigger(10), auto));
    const charted = d.effects.flatMap((e) => (e.type === 'chart' ? [e.index] : []));
    // Three monitors stopped watching: every chart index must name a monitor step of the run as saved.
    expect(charted).toHaveLength(3);
    expect(charted.map((i) => d.next.steps[i]?.name)).toEqual(['monitor', 'monitor', 'monitor']);
  });

  it('where the environment has approvals: one rollback gate, then the steps of the services the plan undoes', () => {
    const gated = testContext({ metrics: rules, gated: () => true });
    const r = untilIdle(begun([{ name: 'staging', gated: true, monitored: true }]), gated);
    // The gate after the preflights waits; approve it.
    const waiting = at(r, 'waiting')[0]!;
    const watching = untilIdle(walk(r, [{ type: 'gateApproved', index: waiting, at: T1 }], gated), gated);
    expect(at(watching, 'watching')).toEqual([10, 11, 12]);
    const partial: RollbackPlan = { undo: ['marketplace/001_marketplace'], keep: [], missingDown: [] };
    const d = ok(decide(watching, trigger(11, partial), gated));
    expect(d.next.steps.slice(11, 15).map(line)).toEqual([
      'staging marketplace monitor',
      'staging academy monitor',
      'staging · approval/rollback',
      'staging marketplace rollback/rollback',
    ]);
    expect(d.next.steps[13]!.status).toBe('waiting');
  });

  it('an apply that fails after files went in holds the run; Roll back undoes the services with something to undo', () => {
    const r = walk(begun([staging]), [done(0), done(1), done(2), done(3)]);
    const held = ok(
      decide(
        r,
        {
          type: 'stepFailed',
          index: 4,
          at: T1,
          durationMs: 9,
          summary: 'failed',
          reason:
            'marketplace failed on staging: 002_bad.sql:2:8: … Applied on staging: community (`001_community`).',
          partial: true,
        },
        ctx,
      ),
    ).next;
    expect(held.status).toBe('running');
    expect(held.steps[4]!.status).toBe('blocked');
    const d = ok(
      decide(
        held,
        {
          type: 'rollbackRequested',
          index: 4,
          at: T2,
          by: 'U1',
          reason: 'apply failed',
          plan: { undo: ['community/001_community'], keep: [], missingDown: [] },
        },
        ctx,
      ),
    );
    expect(d.next.steps.slice(4, 7).map((s) => `${line(s)} ${s.status}`)).toEqual([
      'staging marketplace apply failed',
      'staging community rollback/rollback running',
      'staging academy apply skipped',
    ]);
  });

  it('a restore offered after one service’s rollback is that service’s; Finish without restoring goes on to the next', () => {
    const auto = testContext({ metrics: rules, autoRollback: () => true });
    const d = ok(decide(untilIdle(begun([staging]), auto), trigger(10), auto));
    // academy's rollback (12) left data its backup can bring back: the offer holds the run, on academy.
    const offered = ok(decide(d.next, { ...done(12), restorable: true } as RunEvent, auto)).next;
    expect(offered.steps[13]).toMatchObject({ name: 'restore', status: 'blocked', service: 'academy' });
    expect(offered.status).toBe('running');
    const declined = ok(decide(offered, { type: 'restoreDeclined', index: 13, at: T2, by: 'U1' }, ctx)).next;
    // marketplace's rollback runs next (it ended the run rolled back before, leaving two services applied).
    expect(declined.status).toBe('running');
    expect(declined.steps[14]).toMatchObject({ name: 'rollback', service: 'marketplace', status: 'running' });
  });

  it('a bot stopped during the middle service’s apply holds the run when an earlier service’s files went in', () => {
    const r = walk(begun([staging]), [done(0), done(1), done(2), done(3)]);
    expect(r.steps[4]).toMatchObject({ name: 'apply', service: 'marketplace', status: 'running' });
    const facts = { index: 4, applying: '001_marketplace.sql', applied: [], backup: false };
    const d = ok(decide(r, { type: 'interrupted', at: T2, apply: facts }, ctx));
    expect(d.next.status).toBe('running');
    expect(d.next.steps[4]!.status).toBe('blocked');
    expect(d.next.reason).toBe(
      "The bot stopped while this run was in progress, applying 001_marketplace.sql on staging · marketplace: its transaction died with the bot, so nothing of 001_marketplace.sql was applied. None of this run's files is applied on staging · marketplace. Applied on staging by this run before it: community.",
    );
  });
});
