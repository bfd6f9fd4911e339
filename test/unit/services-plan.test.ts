/**
 * Several services in one run, the pure core (docs/services.md): planSteps lays out a step per service per
 * environment around the environment's gates and after: actions; decide() starts every monitor of an environment
 * together and goes on after the last, and skips only what a service with nothing pending would have done (the
 * gates too once no service has anything). Rollbacks: services-rollback.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { RunEvent } from '../../src/deploy/types.js';
import {
  at,
  begun,
  ctx,
  done,
  line,
  monitorDone,
  ok,
  production,
  SERVICES,
  staging,
  T1,
  untilIdle,
} from '../support/services-run.js';

describe('planSteps with services', () => {
  it('a step per service for preflight, backup, apply, verify and monitor; the gates and after: actions once', () => {
    const steps = planSteps(
      [
        staging,
        {
          ...production,
          backup: true,
          after: [
            { on: 'always', gate: false, label: 'webhook RELEASE_HOOK_URL' },
            { on: 'success', gate: true, label: 'merge acme/platform#1402' },
          ],
        },
      ],
      'deploy',
      SERVICES,
    );
    const each = (env: string, name: string) => SERVICES.map((s) => `${env} ${s} ${name}`);
    expect(steps.map(line)).toEqual([
      ...each('staging', 'preflight'),
      ...each('staging', 'apply'),
      ...each('staging', 'verify'),
      ...each('staging', 'monitor'),
      ...each('production', 'preflight'),
      'production · approval(technical)',
      'production · approval(business)',
      'production · approval(go/no-go)',
      ...each('production', 'backup'),
      ...each('production', 'apply'),
      ...each('production', 'verify'),
      ...each('production', 'monitor'),
      'production · after/after',
      'production · approval/after',
      'production · after/after',
    ]);
    expect(steps.every((s) => s.status === 'pending')).toBe(true);
  });

  it('one gate (no stages) after every service’s preflight; a single database keeps its plan', () => {
    expect(planSteps([{ name: 'production', gated: true }], 'deploy', ['a', 'b']).map(line)).toEqual([
      'production a preflight',
      'production b preflight',
      'production · approval',
      'production a apply',
      'production b apply',
      'production a verify',
      'production b verify',
    ]);
    expect(planSteps([{ name: 'production', gated: true }], 'deploy', [])).toEqual(
      planSteps([{ name: 'production', gated: true }]),
    );
  });
});

describe('decide: the monitors of one environment watch together', () => {
  const watching = () => untilIdle(begun([staging, { name: 'production', gated: true }]));

  it('the last verify starts every service’s monitor at once', () => {
    let r = begun([staging]);
    for (let i = 0; i < 8; i++) r = ok(decide(r, done(i), ctx)).next;
    const d = ok(decide(r, done(8), ctx));
    expect(at(d.next, 'watching')).toEqual([9, 10, 11]);
    expect(d.effects.filter((e) => e.type === 'startMonitor')).toEqual([
      { type: 'startMonitor', index: 9 },
      { type: 'startMonitor', index: 10 },
      { type: 'startMonitor', index: 11 },
    ]);
    expect(d.next.steps.slice(9).every((s) => s.startedAt === T1)).toBe(true);
  });

  it('a monitor that ends before the others changes only itself; the run goes on after the last', () => {
    const r = watching();
    expect(at(r, 'watching')).toEqual([9, 10, 11]);
    // academy's watch ends first: its chart, the card, and nothing started.
    const first = ok(decide(r, monitorDone(11), ctx));
    expect(first.next.steps[11]).toMatchObject({ status: 'succeeded', summary: 'monitor 3/3' });
    expect(at(first.next, 'watching')).toEqual([9, 10]);
    expect(first.effects).toEqual([{ type: 'renderCard' }, { type: 'chart', index: 11 }]);
    // Both others still count as watching: each takes checkpoints and can end.
    const second = ok(decide(first.next, monitorDone(9), ctx));
    expect(at(second.next, 'watching')).toEqual([10]);
    expect(second.effects.some((e) => e.type === 'runStep')).toBe(false);
    // The last: production's first preflight runs.
    const last = ok(decide(second.next, monitorDone(10), ctx));
    expect(last.next.steps[12]).toMatchObject({ service: 'community', name: 'preflight', status: 'running' });
    expect(last.effects).toEqual([
      { type: 'renderCard' },
      { type: 'chart', index: 10 },
      { type: 'runStep', index: 12 },
    ]);
    // A monitor that is done cannot end twice.
    expect(decide(last.next, monitorDone(11), ctx)).toMatchObject({ ok: false });
  });

  it('the last environment’s last monitor ends the run as succeeded', () => {
    let r = untilIdle(begun([staging]));
    for (const i of [10, 9, 11]) r = ok(decide(r, monitorDone(i), ctx)).next;
    expect(r.status).toBe('succeeded');
  });

  it('a checkpoint of any of them is judged while they watch together', () => {
    const r = watching();
    const judged = (index: number): RunEvent => ({
      type: 'checkpointJudged',
      index,
      at: T1,
      judged: [],
      pending: 2,
      onDemand: false,
      progress: 'monitor 1/3 checkpoints · next 10:02',
      rollback: { undo: [], keep: [], missingDown: [] },
    });
    for (const i of [9, 10, 11])
      expect(ok(decide(r, judged(i), ctx)).effects).toEqual([{ type: 'renderCard' }]);
  });
});

describe('decide: a service with nothing to apply', () => {
  it('skips that service’s backup, apply and monitor only; its verify runs; the gates stay for the others', () => {
    const r = untilIdle(begun([{ ...production, backup: true }]), ctx, (i) =>
      i === 1 ? { nothingToApply: true } : {},
    );
    const skipped = r.steps.flatMap((s) => (s.status === 'skipped' ? [`${line(s)}: ${s.summary}`] : []));
    expect(skipped).toEqual([
      'production marketplace backup: nothing to apply on marketplace on production',
      'production marketplace apply: nothing to apply on marketplace on production',
      'production marketplace monitor: nothing to apply on marketplace on production',
    ]);
    expect(r.steps[3]).toMatchObject({ name: 'approval', stage: 'technical', status: 'waiting' });
    expect(r.steps.find((s) => s.service === 'marketplace' && s.name === 'verify')?.status).toBe('pending');
  });

  it('the gates are skipped when no service has anything to apply, and verify still runs', () => {
    const r = untilIdle(begun([production]), ctx, (i) => (i < 3 ? { nothingToApply: true } : {}));
    expect(r.steps.filter((s) => s.name === 'approval').map((s) => [s.status, s.summary])).toEqual([
      ['skipped', 'nothing to apply on production'],
      ['skipped', 'nothing to apply on production'],
      ['skipped', 'nothing to apply on production'],
    ]);
    expect(r.steps.filter((s) => s.name === 'verify').map((s) => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(r.status).toBe('succeeded');
  });

  // Found by this test: enter() stopped at marketplace's skipped monitor, so academy's waited for community's.
  it('the others’ monitors still watch together when a service between them has nothing to apply', () => {
    const r = untilIdle(begun([staging]), ctx, (i) => (i === 1 ? { nothingToApply: true } : {}));
    expect(r.steps[10]).toMatchObject({ service: 'marketplace', name: 'monitor', status: 'skipped' });
    expect(at(r, 'watching')).toEqual([9, 11]);
  });
});
