/** The run card's status line keeps the mentions the bot wrote in a run's reason and escapes everything else. */
import { describe, expect, it } from 'vitest';
import type { Run } from '../../src/deploy/types.js';
import { runStatusLine } from '../../src/slack/run-card.js';

const run = (extra: Partial<Run>): Run => ({
  id: 7,
  migration: '001_a',
  requestedBy: 'U0REQ',
  channel: 'C1',
  status: 'running',
  steps: [{ env: 'production', name: 'apply', status: 'succeeded' }],
  checksums: {},
  version: 1,
  createdAt: '2026-11-22T10:00:00.000Z',
  ...extra,
});

describe('the run status line', () => {
  it('a rejected restore names who rejected it as a mention; the reason typed stays text, a mention in it too', () => {
    const line = runStatusLine(
      run({
        status: 'rolled_back',
        endedBy: 'U0DBA',
        reason:
          'The restore of production was rejected by <@U0DBA> (not <b>now</b> & not <!channel>, ask <@U0EVIL>): the rollback stands, its data was not restored.',
      }),
    );
    expect(line).toBe(
      '↩️ Rolled back by <@U0DBA>: The restore of production was rejected by <@U0DBA> (not &lt;b&gt;now&lt;/b&gt; &amp; not &lt;!channel&gt;, ask &lt;@U0EVIL&gt;): the rollback stands, its data was not restored.',
    );
  });

  it('a failed, rejected or expired run keeps a mention in its reason too', () => {
    for (const status of ['failed', 'rejected', 'expired'] as const)
      expect(runStatusLine(run({ status, endedBy: 'U0DBA', reason: 'held by <@U0DBA>' }))).toContain(
        'held by <@U0DBA>',
      );
  });

  it("a trigger's rollback approved at its gate is not called automatic (re-trial: it said so after two approvals)", () => {
    const steps = [
      { env: 'production', name: 'monitor' as const, status: 'failed' as const },
      {
        env: 'production',
        name: 'approval' as const,
        status: 'succeeded' as const,
        purpose: 'rollback' as const,
      },
      {
        env: 'production',
        name: 'rollback' as const,
        status: 'succeeded' as const,
        purpose: 'rollback' as const,
      },
    ];
    const reason = 'deadlocks 1 crossed its critical line (at 0) on production';
    expect(runStatusLine(run({ status: 'rolled_back', endedBy: 'migration-gate', reason, steps }))).toBe(
      `↩️ Rolled back after a rollback trigger, approved at its gate: ${reason}`,
    );
    expect(
      runStatusLine(
        run({ status: 'rolled_back', endedBy: 'migration-gate', reason, steps: [steps[0]!, steps[2]!] }),
      ),
    ).toBe(`↩️ Rolled back automatically: ${reason}`);
  });
});
