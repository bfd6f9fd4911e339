import { describe, expect, it } from 'vitest';
import type { Run, RunEvent, Step } from '../../src/deploy/types.js';
import { factsOf, lockRetriesOf } from '../../src/observe/run-facts.js';
import { slackErrorOf } from '../../src/observe/slack-errors.js';

const T0 = '2026-01-01T10:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

function run(steps: Partial<Step>[], status: Run['status'] = 'running'): Run {
  return {
    id: 7,
    migration: '001',
    requestedBy: 'U1',
    channel: 'C1',
    status,
    steps: steps.map((s) => ({ env: 'production', name: 'apply', status: 'pending', ...s }) as Step),
    checksums: {},
    version: 1,
    createdAt: T0,
  };
}

describe('what a saved transition says for the metrics', () => {
  it('a run begins; a step ends with the duration its event measured', () => {
    const before = run([{ name: 'preflight' }]);
    const started = run([{ name: 'preflight', status: 'running', startedAt: T0 }]);
    expect(factsOf(before, started, { type: 'begin', at: T0 })).toEqual([{ kind: 'runStarted' }]);
    const done = run(
      [{ name: 'preflight', status: 'succeeded', startedAt: T0, finishedAt: at(2) }],
      'succeeded',
    );
    const event: RunEvent = { type: 'stepSucceeded', index: 0, at: at(2), durationMs: 1500, summary: 'ok' };
    expect(factsOf(started, done, event)).toEqual([
      { kind: 'stepEnded', step: 'preflight', environment: 'production', outcome: 'succeeded', seconds: 1.5 },
      { kind: 'runEnded', status: 'succeeded' },
    ]);
  });

  it('a gate stops waiting: approved (or scheduled for its window), rejected, expired, cancelled', () => {
    const waiting = run([{ name: 'approval', status: 'waiting', startedAt: T0 }, { name: 'apply' }]);
    const gate = (after: Run, event: RunEvent) =>
      factsOf(waiting, after, event).filter((f) => f.kind === 'gateWaited');
    const click = { type: 'gateApproved', index: 0, at: at(90) } as const;
    expect(
      gate(
        run([
          { name: 'approval', status: 'succeeded' },
          { name: 'apply', status: 'running' },
        ]),
        click,
      ),
    ).toEqual([
      { kind: 'gateWaited', environment: 'production', purpose: 'deploy', outcome: 'approved', seconds: 90 },
    ]);
    expect(gate(run([{ name: 'approval', status: 'scheduled' }, { name: 'apply' }]), click)[0]).toMatchObject(
      {
        outcome: 'approved',
      },
    );
    const rejected = run(
      [{ name: 'approval', status: 'failed', summary: 'rejected' }, { status: 'skipped' }],
      'rejected',
    );
    expect(
      gate(rejected, { type: 'gateRejected', index: 0, at: at(60), by: 'U2', reason: 'no' })[0],
    ).toMatchObject({
      outcome: 'rejected',
      seconds: 60,
    });
    const expired = run(
      [{ name: 'approval', status: 'failed', summary: 'expired' }, { status: 'skipped' }],
      'expired',
    );
    expect(gate(expired, { type: 'gateExpired', index: 0, at: at(3600) })[0]).toMatchObject({
      outcome: 'expired',
      seconds: 3600,
    });
    const cancelled = run([{ name: 'approval', status: 'skipped' }, { status: 'skipped' }], 'cancelled');
    expect(factsOf(waiting, cancelled, { type: 'cancel', at: at(5), by: 'U1' })).toEqual([
      { kind: 'gateWaited', environment: 'production', purpose: 'deploy', outcome: 'cancelled', seconds: 5 },
      { kind: 'runEnded', status: 'cancelled' },
    ]);
    // A click that counts an approval but leaves the gate waiting says nothing.
    expect(factsOf(waiting, { ...waiting, version: 2 }, click)).toEqual([]);
  });

  it('a monitor step ends with the time it watched; a rollback gate is told apart', () => {
    const watching = run([{ name: 'monitor', status: 'watching', startedAt: T0 }]);
    const ended = run(
      [{ name: 'monitor', status: 'succeeded', startedAt: T0, finishedAt: at(300) }],
      'succeeded',
    );
    expect(factsOf(watching, ended, { type: 'monitorDone', index: 0, at: at(300), summary: '' })[0]).toEqual({
      kind: 'stepEnded',
      step: 'monitor',
      environment: 'production',
      outcome: 'succeeded',
      seconds: 300,
    });
    const gate = run([{ name: 'approval', status: 'waiting', startedAt: T0, purpose: 'rollback' }]);
    const passed = run([{ name: 'approval', status: 'succeeded', purpose: 'rollback' }]);
    expect(factsOf(gate, passed, { type: 'gateApproved', index: 0, at: at(1) })[0]).toMatchObject({
      purpose: 'rollback',
    });
  });

  it('reads lock retries from apply and rollback results, and nothing from others', () => {
    expect(
      lockRetriesOf({ files: [{ lockRetries: 2 }, { lockRetries: 1 }], failure: { lockRetries: 3 } }),
    ).toBe(6);
    expect(lockRetriesOf({ results: [], summary: {} })).toBe(0);
    expect(lockRetriesOf(undefined)).toBe(0);
  });

  it("labels a failed Slack call by Slack's error, else by the kind of failure", () => {
    expect(
      slackErrorOf({ code: 'slack_webapi_platform_error', data: { ok: false, error: 'not_in_channel' } }),
    ).toBe('not_in_channel');
    expect(slackErrorOf({ code: 'slack_webapi_request_error' })).toBe('slack_webapi_request_error');
    expect(slackErrorOf(new Error('boom'))).toBe('unknown');
    expect(slackErrorOf({ data: { error: 'x'.repeat(500) } })).toBe('unknown');
  });
});
