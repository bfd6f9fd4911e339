/** The cards around a restore offer: the run card's buttons and status line, and the restore gate's card. Pure. */
import { describe, expect, it } from 'vitest';
import type { Run, Step } from '../../src/deploy/types.js';
import { RESTORE_ACTIONS } from '../../src/slack/backup-blocks.js';
import { approvalCard } from '../../src/slack/gate-blocks.js';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { runCard } from '../../src/slack/run-card.js';

const AT = '2026-11-22T10:00:00.000Z';
const env = 'production';
const before: Step[] = [
  { env, name: 'preflight', status: 'succeeded' },
  { env, name: 'approval', status: 'succeeded' },
  { env, name: 'backup', status: 'succeeded', summary: '2 tables, 1,050 rows, 96 kB' },
  { env, name: 'apply', status: 'succeeded' },
  { env, name: 'verify', status: 'failed' },
  { env, name: 'rollback', status: 'succeeded', purpose: 'rollback' },
];
const run = (steps: Step[]): Run => ({
  id: 7,
  migration: '024_x',
  requestedBy: 'U0REQ',
  channel: 'C1',
  status: 'running',
  steps,
  checksums: {},
  version: 1,
  createdAt: AT,
  reason: 'Verification failed on production.',
  endedBy: 'U0ONCALL',
});
const buttons = (blocks: unknown[]) =>
  (blocks as { type: string; elements?: { action_id: string }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => (b.elements ?? []).map((e) => e.action_id));
const all = (blocks: unknown[]) => JSON.stringify(blocks);

describe('a run holding on a restore offer', () => {
  it('shows Restore from backup and Finish without restoring (no Roll back, no Cancel), and says why it holds', () => {
    const card = runCard(
      run([...before, { env, name: 'restore', status: 'blocked', purpose: 'rollback', summary: 'offered' }]),
    );
    expect(buttons(card.blocks)).toEqual([RESTORE_ACTIONS.restore, RESTORE_ACTIONS.finish]);
    expect(buttons(card.blocks)).not.toContain(ACTIONS.cancel);
    expect(all(card.blocks)).toContain('✅ backup 2 tables, 1,050 rows, 96 kB');
    expect(all(card.blocks)).toContain('⛔ restore offered');
    expect(all(card.blocks)).toContain(
      'Rolled back on production. Its backup can put back data the down files could not: Restore from backup, or Finish without restoring to end the run.',
    );
    const failed = runCard(
      run([...before, { env, name: 'restore', status: 'blocked', purpose: 'rollback', summary: 'failed' }]),
    );
    expect(all(failed.blocks)).toContain(
      'The restore failed (see the thread); try it again, or Finish without restoring',
    );
  });

  it('its gate says it is a restore, who asked, and what it will put back', () => {
    const r = run([
      ...before,
      { env, name: 'approval', status: 'waiting', purpose: 'rollback' },
      { env, name: 'restore', status: 'pending', purpose: 'rollback' },
    ]);
    const card = approvalCard(r, {
      env,
      index: 6,
      digest: 'd',
      approvals: [],
      rollback: { undo: ['024_x'], keep: [], missingDown: [] },
      restore: ['`users` (copy `run7_users`): the values of `nickname` by primary key'],
    });
    const text = all(card.blocks);
    expect(text).toContain('*Restore approval needed: production* · run #7 `024_x` · asked by <@U0ONCALL>');
    expect(text).toContain(
      'Will put back on *production*, in one transaction, from the copies taken before apply:',
    );
    expect(text).toContain('• `users` (copy `run7_users`): the values of `nickname` by primary key');
    expect(text).not.toContain('Rollback approval needed');
    expect(buttons(card.blocks)).toEqual(['gate.approve', 'gate.conditions', 'gate.reject']);
  });
});
