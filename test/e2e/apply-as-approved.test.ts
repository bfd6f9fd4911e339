/** Apply applies exactly the files the approval card listed, or nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const APPROVAL = 'Approval needed for production';

describe('apply applies what was approved', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: '    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n' },
      migrations: {
        '001_a.sql': 'create table a (id int);\n',
        '002_b.sql': 'create table b (id int);\n',
      },
    });
  });
  afterAll(async () => h?.stop());

  it('a file that became pending after the card was posted stops the apply, with nothing applied', async () => {
    await h.slash('001_a');
    await h.settle();
    await h.click(APPROVAL, 'gate.approve', 'U0DBA');
    await h.settle();
    expect(current(h.slack, CARD)).toContain('Succeeded');

    await h.slash('002_b');
    await h.settle();
    expect(current(h.slack, APPROVAL)).toContain('exactly this file, in this order:\n• `002_b.sql`');
    // Someone takes 001 out of production's ledger by hand while the gate waits.
    await query(h.targets.production!, "delete from migration_gate.applied_migrations where id = '001_a'");
    await h.click(APPROVAL, 'gate.approve', 'U0DBA');
    await h.settle();
    expect(current(h.slack, CARD)).toContain(
      'The files pending here changed since preflight listed them (002_b; now 001_a, 002_b): nothing was applied, since that is not what was approved. Start a new run.',
    );
    expect(await query(h.targets.production!, "select to_regclass('b') as b")).toEqual([{ b: null }]);
  });
});
