/**
 * after: actions and notify: channels in decide() (docs/after.md): where the actions' steps go, an action that
 * fails, a gated action approved, refused or rejected, a run that fails on an environment with actions for a
 * failure, a bot stopped in the middle of one, and the notices each decision asks for. Given / when / then.
 */
import { describe, expect, it } from 'vitest';
import type { AfterRule, NotifyRules } from '../../src/deploy/after-rules.js';
import type { Context, Decision, Effect } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run, RunEvent, Step } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:05:00.000Z';
const T2 = '2026-11-21T10:06:00.000Z';

const HOOK: AfterRule = { on: 'always', gate: false, label: 'webhook RELEASE_HOOK_URL' };
const MERGE: AfterRule = { on: 'success', gate: true, label: 'merge acme/app#42' };
const PAGE: AfterRule = { on: 'failure', gate: false, label: 'webhook PAGER_URL' };
const RULES: Record<string, AfterRule[]> = { production: [HOOK, MERGE, PAGE] };
const NOTIFY: NotifyRules = {
  all: [{ channel: '#engineering-alerts', on: ['start', 'gate', 'end', 'critical'] }],
  byEnv: { production: [{ channel: 'C0RELEASES', on: ['end'] }] },
};

// production is gated (a dba among U1, U5, U6); U1 requested the run; U8 is nobody.
function ctxWith(extra: Partial<Context['policy']> = {}): Context {
  const base = testContext({
    rules: (env) => (env === 'production' ? [{ role: 'dba', users: ['U1', 'U5', 'U6'], count: 1 }] : []),
  });
  return { ...base, policy: { ...base.policy, after: (env) => RULES[env] ?? [], ...extra } };
}
const ctx = ctxWith();

const planned = () =>
  planSteps([
    { name: 'staging', gated: false },
    { name: 'production', gated: true, after: RULES.production },
  ]);
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
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(`refused: ${d.refused}`);
  return d;
};
const shape = (r: Run) =>
  r.steps.map(
    (s) => `${s.env} ${s.name}${s.after ? `[${s.after.label}/${s.after.outcome}]` : ''}:${s.status}`,
  );
const types = (effects: readonly Effect[]) => effects.map((e) => e.type);

/** The run with every step before `index` succeeded and step `index` at `status`. */
function at(index: number, status: Step['status'], steps = planned()): Run {
  return runOf(
    steps.map((s, i) =>
      i < index ? { ...s, status: 'succeeded' } : i === index ? { ...s, status, startedAt: T0 } : s,
    ),
  );
}
const ended = (index: number, okay: boolean, extra: Partial<RunEvent> = {}): RunEvent =>
  (okay
    ? { type: 'stepSucceeded', index, at: T1, durationMs: 5, summary: 'done', ...extra }
    : {
        type: 'stepFailed',
        index,
        at: T1,
        durationMs: 5,
        summary: 'failed',
        reason: 'it broke',
        ...extra,
      }) as RunEvent;

describe('after: actions in a run', () => {
  it('follow their environment: success and always actions are planned, a gated one behind its own gate', () => {
    expect(shape(runOf(planned()))).toEqual([
      'staging preflight:pending',
      'staging apply:pending',
      'staging verify:pending',
      'production preflight:pending',
      'production approval:pending',
      'production apply:pending',
      'production verify:pending',
      'production after[webhook RELEASE_HOOK_URL/succeeded]:pending',
      'production approval[merge acme/app#42/succeeded]:pending',
      'production after[merge acme/app#42/succeeded]:pending',
    ]);
  });

  it('run once verification passed; a failed action is reported and the run still succeeds', () => {
    const d = ok(decide(at(6, 'running'), ended(6, true), ctx));
    expect(d.effects).toContainEqual({ type: 'runStep', index: 7 });
    // The webhook failed: the merge's gate opens all the same.
    const d2 = ok(decide(d.next, ended(7, false, { summary: 'webhook RELEASE_HOOK_URL: failed' }), ctx));
    expect(d2.next.steps[7]).toMatchObject({ status: 'failed', summary: 'webhook RELEASE_HOOK_URL: failed' });
    expect(d2.next.steps[8]!.status).toBe('waiting');
    expect(d2.effects).toContainEqual({ type: 'openGate', index: 8 });
    expect(d2.next.status).toBe('running');
  });

  it("a gated action's card is approved by the environment's approvers only; approved, the action runs", () => {
    const run = at(8, 'waiting');
    const click = (by: string): RunEvent => ({
      type: 'approvalClicked',
      index: 8,
      at: T1,
      by,
      decision: 'approve',
      digest: 'd',
    });
    const c = { ...ctx, digest: 'd' };
    const self = decide(run, click('U1'), c);
    expect(self).toMatchObject({ ok: false, refused: expect.stringContaining('You requested this run') });
    const nobody = decide(run, click('U8'), c);
    expect(nobody).toMatchObject({
      ok: false,
      refused: expect.stringContaining('not in a rule for production'),
    });
    const d = ok(decide(run, click('U5'), c));
    expect(d.next.steps[8]!.status).toBe('succeeded');
    expect(d.effects).toContainEqual({ type: 'runStep', index: 9 });
    const last = ok(decide(d.next, ended(9, true), ctx));
    expect(last.next.status).toBe('succeeded');
    expect(types(last.effects)).toContain('report');
  });

  it('a rejected or expired action gate skips that action and the run goes on', () => {
    const run = at(8, 'waiting');
    const rejected = ok(
      decide(
        run,
        {
          type: 'approvalClicked',
          index: 8,
          at: T1,
          by: 'U5',
          decision: 'reject',
          reason: 'not this week',
          digest: 'd',
        },
        { ...ctx, digest: 'd' },
      ),
    );
    expect(rejected.next.status).toBe('succeeded');
    expect(rejected.next.reason).toBeUndefined();
    expect(shape(rejected.next).slice(8)).toEqual([
      'production approval[merge acme/app#42/succeeded]:failed',
      'production after[merge acme/app#42/succeeded]:skipped',
    ]);
    expect(rejected.next.steps[9]!.summary).toBe('merge acme/app#42: not approved');
    expect(rejected.records).toContainEqual(
      expect.objectContaining({ type: 'approval', decision: 'reject' }),
    );
    expect(types(rejected.effects)).toEqual(expect.arrayContaining(['renderGate', 'report']));

    const expiring = runOf(run.steps.map((s, i) => (i === 8 ? { ...s, expiresAt: T1 } : s)));
    const expired = ok(decide(expiring, { type: 'gateDue', index: 8, at: T2 }, ctx));
    expect(expired.next.status).toBe('succeeded');
    expect(expired.next.steps[8]).toMatchObject({ status: 'failed', summary: 'expired' });
  });

  it('a run that fails on production runs its failure and always actions, then ends failed with its reason', () => {
    const d = ok(decide(at(5, 'running'), ended(5, false), ctx));
    expect(d.next.status).toBe('running');
    expect(d.next.reason).toBe('it broke');
    expect(types(d.effects)).not.toContain('report');
    expect(shape(d.next).slice(5)).toEqual([
      'production apply:failed',
      'production verify:skipped',
      'production after[webhook RELEASE_HOOK_URL/succeeded]:skipped',
      'production approval[merge acme/app#42/succeeded]:skipped',
      'production after[merge acme/app#42/succeeded]:skipped',
      'production after[webhook RELEASE_HOOK_URL/failed]:running',
      'production after[webhook PAGER_URL/failed]:pending',
    ]);
    expect(d.effects).toContainEqual({ type: 'runStep', index: 10 });
    const d2 = ok(decide(d.next, ended(10, true), ctx));
    expect(d2.effects).toContainEqual({ type: 'runStep', index: 11 });
    const d3 = ok(decide(d2.next, ended(11, false), ctx));
    expect(d3.next).toMatchObject({ status: 'failed', reason: 'it broke', finishedAt: T1 });
    expect(types(d3.effects)).toContain('report');
  });

  it('a run rolled back there reports rolled_back to its actions and ends rolled back', () => {
    const steps = [
      ...planned().slice(0, 7),
      {
        env: 'production',
        name: 'rollback' as const,
        status: 'pending' as const,
        purpose: 'rollback' as const,
      },
    ];
    const run = { ...at(7, 'running', steps), reason: 'error_rate over 5 %', endedBy: 'U5' };
    const d = ok(decide(run, ended(7, true), ctx));
    expect(shape(d.next).slice(8)).toEqual([
      'production after[webhook RELEASE_HOOK_URL/rolled_back]:running',
      'production after[webhook PAGER_URL/rolled_back]:pending',
    ]);
    const end = ok(decide(ok(decide(d.next, ended(8, true), ctx)).next, ended(9, true), ctx));
    expect(end.next).toMatchObject({ status: 'rolled_back', reason: 'error_rate over 5 %', endedBy: 'U5' });
  });

  it('an environment without actions for a failure ends at once, as before', () => {
    const d = ok(decide(at(1, 'running'), ended(1, false), ctx));
    expect(d.next.status).toBe('failed');
    expect(types(d.effects)).toContain('report');
  });

  it('a bot stopped in the middle of an action runs it again (never fails the run)', () => {
    const d = ok(decide(at(7, 'running'), { type: 'interrupted', at: T2 }, ctx));
    expect(d.next.status).toBe('running');
    expect(d.next.steps[7]).toMatchObject({ status: 'running', startedAt: T2 });
    expect(d.effects).toEqual([{ type: 'renderCard' }, { type: 'runStep', index: 7 }]);
  });
});

describe('notify: channels', () => {
  const notifying = ctxWith({ notify: NOTIFY });
  const notices = (d: Decision) => ok(d).effects.filter((e) => e.type === 'notify');

  it('hear when a run starts, waits for a gate, and ends; each environment’s channels only of runs there', () => {
    expect(notices(decide(runOf(planned()), { type: 'begin', at: T0 }, notifying))).toEqual([
      { type: 'notify', notice: 'start', channels: ['#engineering-alerts'] },
    ]);
    expect(notices(decide(at(3, 'running'), ended(3, true), notifying))).toEqual([
      { type: 'notify', notice: 'gate', channels: ['#engineering-alerts'], index: 4 },
    ]);
    expect(notices(decide(at(1, 'running'), ended(1, false), notifying))).toEqual([
      { type: 'notify', notice: 'end', channels: ['#engineering-alerts', 'C0RELEASES'] },
    ]);
    const stagingOnly = runOf(
      planSteps([{ name: 'staging', gated: false }]).map((s, i) =>
        i === 2 ? { ...s, status: 'running' } : { ...s, status: i < 2 ? 'succeeded' : s.status },
      ),
    );
    expect(notices(decide(stagingOnly, ended(2, true), notifying))).toEqual([
      { type: 'notify', notice: 'end', channels: ['#engineering-alerts'] },
    ]);
  });

  it('hear of a critical reading with the metrics over their line; nobody is told without notify:', () => {
    const watching = runOf([{ env: 'production', name: 'monitor', status: 'watching', startedAt: T0 }]);
    const judged: RunEvent = {
      type: 'checkpointJudged',
      index: 0,
      at: T1,
      judged: [
        { key: 'error_rate', value: 9, raw: 'critical', level: 'critical', streak: 1 },
        { key: 'deadlocks', value: 0, raw: 'ok', level: 'ok', streak: 0 },
      ],
      pending: 3,
      onDemand: false,
      progress: '1/4',
      rollback: { undo: [], keep: [], stuck: [] } as never,
    };
    const withMetric = ctxWith({
      notify: NOTIFY,
      metrics: [
        {
          key: 'error_rate',
          critical: { op: '>', value: 5 } as never,
          consecutive: 1,
          rollback: false,
          dryRun: false,
        },
      ],
    });
    expect(notices(decide(watching, judged, withMetric))).toEqual([
      {
        type: 'notify',
        notice: 'critical',
        channels: ['#engineering-alerts'],
        index: 0,
        metrics: ['error_rate'],
      },
    ]);
    expect(notices(decide(runOf(planned()), { type: 'begin', at: T0 }, ctx))).toEqual([]);
  });
});
