import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

// A schema made by hand before the project used migrations: 001 and 002 are true of it, 003 is new.
const FILES: Record<string, string> = {
  '001_accounts.sql': 'create table accounts (id bigint primary key, email text not null);\n',
  '002_orders.sql':
    'create table orders (id bigint primary key, account_id bigint not null references accounts(id));\n',
  '003_order_total.sql': 'alter table orders add column total_cents bigint not null default 0;\n',
};
const GATE = `    approvals:
      - { role: dba, users: [U0DBA, U0REQUESTER], count: 1 }
`;
const CARD = /^Run #\d+ · /;
const GATE_CARD = 'Baseline approval needed for production';

describe('baseline through Slack on a database whose schema was made by hand', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ envs: ['production'], migrations: FILES, envYaml: { production: GATE } });
    await query(h.targets.production!, `${FILES['001_accounts.sql']}${FILES['002_orders.sql']}`);
  });
  afterAll(async () => h?.stop());

  it('marks 001 and 002 applied through the gate, never runs them; the requester cannot approve it', async () => {
    await h.slash('baseline 002_orders on production');
    await h.settle();
    expect(lastPost(h.slack, 'Preflight of a baseline on production')).toContain(
      'To mark applied WITHOUT running them (2), since no ledger here records them:',
    );
    const card = current(h.slack, GATE_CARD);
    expect(card).toContain('*Baseline approval needed: production*');
    expect(card).toContain(
      'will mark as applied on *production* WITHOUT running them exactly these 2 files (their SQL never runs; only the ledger records them):',
    );
    expect(card).toMatch(
      /• `001_accounts.sql` sha256 `[0-9a-f]{12}`\n• `002_orders.sql` sha256 `[0-9a-f]{12}`/,
    );
    expect(card).not.toContain('003_order_total');
    expect(current(h.slack, CARD)).toMatch(
      /production:\*\s+✅ preflight 2 files to mark applied without running: 001_accounts, 002_orders\s+·\s+⏸ approval/,
    );

    const requester = await h.click(GATE_CARD, 'gate.approve', 'U0REQUESTER');
    expect(requester.status).toBe(200);
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('You requested this run; someone else must approve it.');
    expect(
      await query(h.targets.production!, "select to_regclass('migration_gate.applied_migrations') as t"),
    ).toEqual([{ t: null }]);

    await h.click(GATE_CARD, 'gate.approve', 'U0DBA');
    await h.settle();
    expect(lastPost(h.slack, 'Baseline on production')).toContain(
      'Marked applied WITHOUT running them (2), recorded as baselined by <@U0REQUESTER>:',
    );
    const final = current(h.slack, CARD);
    expect(final).toMatch(/✅ approved\s+·\s+✅ baseline 2 files baselined \(marked applied, not run\)/);
    expect(final).toContain('Succeeded');
    const report = lastPost(h.slack, 'Run #1 report');
    expect(report).toContain('✅ 2 files baselined (marked applied, not run)');
    expect(report).toMatch(/<@U0DBA> approved 20\d\d-/);
    expect(
      await query(
        h.targets.production!,
        'select id, baselined, applied_by, run_id, statements from migration_gate.applied_migrations order by id',
      ),
    ).toEqual([
      { id: '001_accounts', baselined: true, applied_by: 'U0REQUESTER', run_id: 1, statements: 0 },
      { id: '002_orders', baselined: true, applied_by: 'U0REQUESTER', run_id: 1, statements: 0 },
    ]);
    const audit = await query<{ actor: string; action: string }>(
      h.stateUrl,
      "select actor, action from migration_gate_state.audit_events where run_id = 1 and action in ('run.created', 'gate.approve', 'click.refused') order by id",
    );
    expect(audit).toEqual([
      { actor: 'U0REQUESTER', action: 'run.created' },
      { actor: 'U0REQUESTER', action: 'click.refused' },
      { actor: 'U0DBA', action: 'gate.approve' },
    ]);
  });

  it('a deploy of the next migration then applies only that one', async () => {
    await h.slash('003_order_total');
    await h.settle();
    expect(current(h.slack, 'Approval needed for production')).toContain(
      'Will apply on *production* exactly this file, in this order:\n• `003_order_total.sql`',
    );
    await h.click('Approval needed for production', 'gate.approve', 'U0DBA');
    await h.settle();
    expect(lastPost(h.slack, 'Apply on production')).toContain('003_order_total.sql');
    expect(lastPost(h.slack, 'Apply on production')).not.toContain('001_accounts');
    expect(
      await query(
        h.targets.production!,
        'select id, baselined from migration_gate.applied_migrations order by id',
      ),
    ).toEqual([
      { id: '001_accounts', baselined: true },
      { id: '002_orders', baselined: true },
      { id: '003_order_total', baselined: false },
    ]);
  });

  it('list shows the baselined ones as applied, marked baselined', async () => {
    await h.slash('list');
    await h.settle();
    const list = ephemerals(h.slack).at(-1)!;
    expect(list).toMatch(/001_accounts\s+[0-9a-f]{12}\s+✅ baselined 20\d\d-\d\d-\d\d/);
    expect(list).toMatch(/002_orders\s+[0-9a-f]{12}\s+✅ baselined 20\d\d-\d\d-\d\d/);
    expect(list).toMatch(/003_order_total\s+[0-9a-f]{12}\s+✅ 20\d\d-\d\d-\d\d \d\d:\d\d/);
    expect(list).toContain('✅ baselined: marked applied without running it');
  });

  it('a second baseline has nothing to mark; a baseline on an unknown environment is refused', async () => {
    await h.slash('baseline 002_orders on staging');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('There is no environment "staging"');
    await h.slash('baseline 002_orders on production');
    await h.settle();
    expect(lastPost(h.slack, 'Preflight of a baseline on production')).toContain(
      'Nothing to baseline: every file up to this migration is already recorded here.',
    );
    expect(current(h.slack, CARD)).toMatch(
      /⏭️ approval nothing to baseline on production\s+·\s+⏭️ baseline nothing to baseline/,
    );
  });
});
