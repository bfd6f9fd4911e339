/** The production approval card shows what each statement locked on staging, sized with production's tables. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const APPROVAL = 'Approval needed for production';

describe('the lock trace on the approval card', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: '    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n' },
      migrations: {
        '001_orders.sql': 'create table orders (id int primary key, amount int);\n',
        '002_amount.sql':
          'alter table orders add column note text;\nalter table orders alter column amount type bigint;\ncreate table refunds (id int primary key);\n',
      },
    });
  });
  afterAll(async () => h?.stop());

  it('names the lock, the rewrite and the time held on staging, with production rows and size', async () => {
    await h.slash('001');
    await h.settle();
    await h.click(APPROVAL, 'gate.approve', 'U0DBA');
    await h.settle();
    // Production has far more data than staging.
    await query(h.targets.production!, 'insert into orders select g, g from generate_series(1, 50000) g');
    await query(h.targets.production!, 'analyze orders');

    await h.slash('002');
    await h.settle();
    const card = current(h.slack, APPROVAL);
    expect(card).toContain('*Locks measured on staging* (stronger than ROW EXCLUSIVE, held until commit):');
    expect(card).toMatch(
      /• 002_amount\.sql:1 alter table orders add column note text → ACCESS EXCLUSIVE on public\.orders, no rewrite, held \d+ ms on staging; production: ~50\.0 k rows, \d+(\.\d)? MB/,
    );
    expect(card).toMatch(
      /• 002_amount\.sql:2 alter table orders alter column amount type bigint → ACCESS EXCLUSIVE on public\.orders, table rewritten, held \d+ ms on staging/,
    );
    // The new table is nobody's to wait for: not listed.
    expect(card).not.toContain('refunds');
    // Preflight says which server it reached (it never did: `show server_version` has no column `v`).
    expect(lastPost(h.slack, 'Preflight on production')).toMatch(
      /PostgreSQL 15\.\d+ · connected in (\d+ ms|\d+\.\d s)/,
    );
    const apply = lastPost(h.slack, 'Apply on staging');
    expect(apply).toContain('Apply on staging* ✅');
    expect(apply).toMatch(
      /\*Locks\* stronger than ROW EXCLUSIVE on tables that existed before \(held until commit\):\n• 002_amount\.sql:1 alter table orders add column note text → ACCESS EXCLUSIVE on public\.orders, no rewrite, held \d+ ms on staging\n/,
    );
  });

  it('a later run, with staging already applied, still shows what staging measured and says which run', async () => {
    await h.slash('cancel #2');
    await h.settle();
    await h.slash('002');
    await h.settle();
    const card = current(h.slack, APPROVAL);
    expect(card).toContain('run #3');
    expect(card).toMatch(
      /• 002_amount\.sql:2 alter table orders alter column amount type bigint → ACCESS EXCLUSIVE on public\.orders, table rewritten, held \d+ ms on staging \(run #2\); production: ~50\.0 k rows/,
    );
  });
});
