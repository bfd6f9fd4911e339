/** Monitor decisions as tables: given a watched run and a judged checkpoint, then the alert, rollback or end. */
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../src/deploy/decision.js';
import { decide } from '../../src/deploy/machine.js';
import type { Judged, MetricRule } from '../../src/deploy/monitoring.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { RollbackPlan } from '../../src/deploy/rollback-plan.js';
import type { Run, RunEvent } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const T1 = '2026-11-21T10:05:00.000Z';
const ok = (d: Decision) => {
  if (!d.ok) throw new Error(d.refused);
  return d;
};
const rules: MetricRule[] = [
  { key: 'error_rate', consecutive: 1, rollback: true, dryRun: false },
  { key: 'deadlocks', consecutive: 1, rollback: false, dryRun: false },
  { key: 'p99_ms', consecutive: 1, rollback: true, dryRun: true },
];
const watching = (gated: boolean): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'production', gated, monitored: true }]).map((s) =>
    s.name === 'monitor' ? { ...s, status: 'watching', startedAt: T0 } : { ...s, status: 'succeeded' },
  ),
  checksums: { '024_x': 'abc' },
  version: 3,
  createdAt: T0,
});
const j = (key: string, level: Judged['level'], value = 2): Judged => ({
  key,
  value,
  raw: level,
  level,
  streak: level === 'ok' ? 0 : 1,
  line: '> 1%',
});
const undoable: RollbackPlan = { undo: ['024_x'], keep: [], missingDown: [] };
const stuck: RollbackPlan = { undo: [], keep: ['024_x'], missingDown: ['024_x'] };
const judged = (index: number, levels: Judged[], extra: Partial<RunEvent> = {}): RunEvent =>
  ({
    type: 'checkpointJudged',
    index,
    at: T1,
    judged: levels,
    pending: 3,
    onDemand: false,
    progress: 'monitor 2/5 checkpoints · next 10:10',
    rollback: undoable,
    ...extra,
  }) as RunEvent;

describe('decide: a judged checkpoint', () => {
  const ctx = testContext({ metrics: rules });
  const m = 3; // the monitor step of an ungated environment: preflight, apply, verify, monitor

  it('all ok with checkpoints to come: the run is not changed, the card is redrawn', () => {
    const r = watching(false);
    const d = ok(decide(r, judged(m, [j('error_rate', 'ok')]), ctx));
    expect(d.next).toBe(r);
    expect(d.effects).toEqual([{ type: 'renderCard' }]);
  });

  it('all ok and the last checkpoint: the monitor step succeeds with its progress, the run ends', () => {
    const d = ok(decide(watching(false), judged(m, [j('error_rate', 'ok')], { pending: 0 }), ctx));
    expect(d.next.steps[m]).toMatchObject({ status: 'succeeded', summary: 'monitor 2/5 checkpoints' });
    expect(d.next.status).toBe('succeeded');
  });

  it.each([
    ['a warning', [j('error_rate', 'warn')], 'warn'],
    ['a critical reading of a metric that does not roll back', [j('deadlocks', 'critical')], 'critical'],
  ] as const)('%s: an alert in the thread, watching goes on', (_, levels, level) => {
    const d = ok(decide(watching(false), judged(m, [...levels]), ctx));
    expect(d.effects).toEqual([{ type: 'alert', index: m, level, judged: levels }, { type: 'renderCard' }]);
    expect(d.next.steps[m]!.status).toBe('watching');
  });

  it('a dry-run metric over its critical line is shown and never acted on', () => {
    const d = ok(decide(watching(false), judged(m, [j('p99_ms', 'critical')]), ctx));
    expect(d.effects).toEqual([{ type: 'renderCard' }]);
  });

  it('taken on command: shown, never acted on, even when critical', () => {
    const d = ok(decide(watching(false), judged(m, [j('error_rate', 'critical')], { onDemand: true }), ctx));
    expect(d.effects).toEqual([{ type: 'renderCard' }]);
  });

  it.each([
    // gated, autoRollback, plan → what the alert says, and the steps that follow the monitor step
    [false, false, undoable, 'offer', []],
    [true, false, undoable, 'approval', ['approval:waiting', 'rollback:pending']],
    [false, true, undoable, 'now', ['rollback:running']],
    [true, true, undoable, 'now', ['rollback:running']],
    [true, true, stuck, 'impossible', []],
  ] as const)(
    'a rollback trigger (gated %s, autoRollback %s): the alert says %s',
    (gated, auto, plan, when, after) => {
      const c = testContext({ metrics: rules, gated: () => gated, autoRollback: () => auto });
      const mon = gated ? 4 : 3;
      const d = ok(
        decide(watching(gated), judged(mon, [j('error_rate', 'critical', 2.5)], { rollback: plan }), c),
      );
      expect(d.effects[0]).toMatchObject({ type: 'alert', level: 'critical', rollback: { when } });
      expect(d.records).toEqual([
        {
          type: 'audit',
          actor: 'migration-gate',
          action: 'rollback.triggered',
          detail: { metric: 'error_rate', value: 2.5, automatic: auto },
        },
      ]);
      expect(d.next.steps.slice(mon + 1).map((s) => `${s.name}:${s.status}`)).toEqual(after);
      if (after.length)
        expect(d.next).toMatchObject({
          reason: 'error_rate 2.5% crossed its critical line (> 1%) on production',
          endedBy: 'migration-gate',
        });
    },
  );

  it.each([
    ['offered (ungated, no autoRollback)', false, undoable],
    ['impossible (nothing can be undone)', true, { undo: [], keep: ['024_x'], missingDown: ['024_x'] }],
  ] as const)('a rollback trigger %s at the last checkpoint still ends monitoring', (_, gated, plan) => {
    const c = testContext({ metrics: rules, gated: () => gated });
    const mon = gated ? 4 : 3;
    const d = ok(
      decide(watching(gated), judged(mon, [j('error_rate', 'critical')], { pending: 0, rollback: plan }), c),
    );
    expect(d.effects[0]).toMatchObject({ type: 'alert', level: 'critical' });
    expect(d.next.steps[mon]).toMatchObject({ status: 'succeeded', summary: 'monitor 2/5 checkpoints' });
    expect(d.next.status).toBe('succeeded');
  });

  it('a rollback trigger offered with checkpoints to come redraws the card (its progress moved)', () => {
    const d = ok(decide(watching(false), judged(3, [j('error_rate', 'critical')]), ctx));
    expect(d.effects.map((e) => e.type)).toEqual(['alert', 'renderCard']);
  });

  it('a step that is not watching any more is refused (the checkpoint came late)', () => {
    const done = {
      ...watching(false),
      steps: watching(false).steps.map((s) => ({ ...s, status: 'succeeded' as const })),
    };
    expect(decide(done, judged(m, [j('error_rate', 'ok')]), ctx)).toMatchObject({ ok: false });
  });
});
