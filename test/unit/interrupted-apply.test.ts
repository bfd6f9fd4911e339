/** decide(): an apply the bot was stopped in ends saying which file died with it, which are applied, the backup. */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/deploy/machine.js';
import { planSteps } from '../../src/deploy/plan.js';
import type { Run } from '../../src/deploy/types.js';
import { testContext } from '../support/context.js';

const T0 = '2026-11-21T10:00:00.000Z';
const ctx = testContext({ gated: () => false });
// preflight 0, apply 1, verify 2; apply running when the bot stopped
const run: Run = {
  id: 7,
  migration: '003_add',
  requestedBy: 'U1',
  channel: 'C1',
  status: 'running',
  steps: planSteps([{ name: 'staging', gated: false }]).map((s, i) => ({
    ...s,
    status: i === 0 ? 'succeeded' : i === 1 ? 'running' : 'pending',
  })),
  checksums: { '002_other': 'a', '003_add': 'b' },
  version: 3,
  createdAt: T0,
};

describe('decide: interrupted during an apply', () => {
  it('names the file that was not applied, the ones that are, and the backup kept', () => {
    const d = decide(
      run,
      {
        type: 'interrupted',
        at: T0,
        apply: { index: 1, applying: '003_add.sql', applied: ['002_other'], backup: true },
      },
      ctx,
    );
    // Files of the run went in: held for Roll back (or Cancel), like an apply that failed part way.
    expect(d.ok && d.next.status).toBe('running');
    expect(d.ok && d.next.steps[1]!.status).toBe('blocked');
    expect(d.ok && d.next.reason).toBe(
      'The bot stopped while this run was in progress, applying 003_add.sql on staging: its transaction died with the bot, so nothing of 003_add.sql was applied. Applied on staging by this run: `002_other`. The backup taken before apply is kept.',
    );
  });

  it('a file outside a transaction may have kept statements; nothing applied is said so', () => {
    const d = decide(
      run,
      {
        type: 'interrupted',
        at: T0,
        apply: { index: 1, applying: '003_add.sql', outside: true, applied: [], backup: false },
      },
      ctx,
    );
    expect(d.ok && d.next.reason).toContain(
      'applying 003_add.sql on staging, which runs outside a transaction: the statements it finished before the stop stay applied',
    );
    expect(d.ok && d.next.reason).toContain("None of this run's files is applied on staging.");
    // No file of the run in the ledger: nothing Roll back could undo, so the run ends rather than holding.
    expect(d.ok && d.next.status).toBe('failed');
  });

  it('without facts (the target could not be read) it keeps the general sentence', () => {
    const d = decide(run, { type: 'interrupted', at: T0 }, ctx);
    expect(d.ok && d.next.reason).toContain('The ledger in the target records what was applied');
  });

  it('nothing of the run applied: the run ends, saying so and to start it again', () => {
    const d = decide(
      run,
      {
        type: 'interrupted',
        at: T0,
        apply: { index: 1, applying: '002_other.sql', applied: [], backup: false },
      },
      ctx,
    );
    expect(d.ok && d.next.status).toBe('failed');
    expect(d.ok && d.next.reason).toContain('Start the run again to continue');
  });
});
