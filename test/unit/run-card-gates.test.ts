/**
 * The run card names each gate on its environment's row by what it decides (deploy/gate-name.ts's kinds): a
 * rollback's and a restore's gates are not a plain "approval", an after: action's gate says its action, a stage's
 * its stage.
 */
import { describe, expect, it } from 'vitest';
import type { Run, Step } from '../../src/deploy/types.js';
import type { GateView } from '../../src/slack/gate-blocks.js';
import type { Message } from '../../src/slack/mrkdwn.js';
import { runCard } from '../../src/slack/run-card.js';

const run = (steps: Step[], extra: Partial<Run> = {}): Run => ({
  id: 7,
  migration: '001_a',
  requestedBy: 'U0REQ',
  channel: 'C1',
  status: 'running',
  steps,
  checksums: {},
  version: 1,
  createdAt: '2026-11-22T10:00:00.000Z',
  ...extra,
});

const rows = (m: Message) =>
  (m.blocks as { block_id?: string; text?: { text: string } }[]).find((b) => b.block_id === 'envs')!.text!
    .text;

const gate = (index: number): GateView => ({
  env: 'production',
  index,
  digest: 'd',
  approvals: [],
  progress: { rules: [{ role: 'dba', need: 1, approvers: [] }], satisfied: false } as never,
});

const done = (name: Step['name'], extra: Partial<Step> = {}): Step => ({
  env: 'production',
  name,
  status: 'succeeded',
  ...extra,
});

describe('gate names on the run card', () => {
  it("a rollback's gate says 'rollback approval', waiting and once approved", () => {
    const steps: Step[] = [
      done('apply'),
      { env: 'production', name: 'verify', status: 'failed' },
      { env: 'production', name: 'approval', status: 'waiting', purpose: 'rollback' },
      { env: 'production', name: 'rollback', status: 'pending', purpose: 'rollback' },
    ];
    expect(rows(runCard(run(steps), new Map([[2, gate(2)]])))).toContain(
      '⏸ rollback approval (dba 0/1) · approve in the thread  ·  ▫️ rollback',
    );
    steps[2] = { ...steps[2]!, status: 'succeeded' };
    expect(rows(runCard(run(steps)))).toContain('✅ rollback approved  ·  ▫️ rollback');
  });

  it("a restore's gate says 'restore approval'", () => {
    const steps: Step[] = [
      done('apply'),
      done('rollback', { purpose: 'rollback' }),
      { env: 'production', name: 'approval', status: 'waiting', purpose: 'rollback' },
      { env: 'production', name: 'restore', status: 'pending', purpose: 'rollback' },
    ];
    expect(rows(runCard(run(steps), new Map([[2, gate(2)]])))).toContain(
      '⏸ restore approval (dba 0/1) · approve in the thread  ·  ▫️ restore',
    );
  });

  it("an after: action's gate says its action; a stage's gate its stage", () => {
    const after: Step['after'] = { action: 0, label: 'merge acme/app#42', outcome: 'succeeded' };
    const steps: Step[] = [
      done('approval', { stage: 'dba' }),
      done('apply'),
      { env: 'production', name: 'approval', status: 'waiting', after },
      { env: 'production', name: 'after', status: 'pending', after },
    ];
    const card = rows(runCard(run(steps), new Map([[2, gate(2)]])));
    expect(card).toContain('✅ approved: dba  ·  ✅ apply');
    expect(card).toContain(
      '⏸ approval: merge acme/app#42 (dba 0/1) · approve in the thread  ·  ▫️ after: merge acme/app#42',
    );
  });

  it('a deploy gate stays "approval"', () => {
    const steps: Step[] = [
      done('preflight'),
      { env: 'production', name: 'approval', status: 'waiting' },
      { env: 'production', name: 'apply', status: 'pending' },
    ];
    expect(rows(runCard(run(steps), new Map([[1, gate(1)]])))).toContain(
      '✅ preflight  ·  ⏸ approval (dba 0/1) · approve in the thread  ·  ▫️ apply',
    );
  });
});
