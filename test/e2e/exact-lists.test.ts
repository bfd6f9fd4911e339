/**
 * Every list an approver reads is exactly what will happen: the files pending on that environment, in migration
 * order; no gate where nothing is pending; a rollback card that names what it undoes and what stays.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, ephemerals, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const GATE = `    approvals:
      - { role: dba, usergroup: S0DBA, count: 1 }
`;
const CARD = /^Run #\d+ · /;
const APPROVAL = 'Approval needed for production';
const ROLLBACK = 'Rollback approval needed for production';

/** Ids of the files an approval card lists, in the order it lists them. */
const listed = (card: string) =>
  [...card.matchAll(/• `([^`]+)\.sql` sha256 `[0-9a-f]{12}`/g)].map((m) => m[1]);

describe('the lists an approver reads', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: GATE },
      usergroups: { S0DBA: ['U0DBA1', 'U0DBA2'] },
      migrations: {
        '001_base.sql': 'create table base (id int);\n',
        '010_more.sql': 'create table more (id int);\n',
        '024_users.sql': 'create table users (id int);\n',
        '024_users.down.sql': 'drop table users;\n',
        '025_index.sql': 'create index users_id on users (id);\n',
        '030_col.sql': 'alter table users add column name text;\n',
        '030_col.down.sql': 'alter table users drop column name;\n',
        '030_col.checks.yml':
          '- { name: staging only, sql: "select current_database() like \'mg_staging%\'", expect: true }\n',
        '035_ok.sql': 'create table ok35 (id int);\n',
        '035_ok.down.sql': 'drop table ok35;\n',
        '040_bad.sql': 'select 1 / 0;\n',
        '050_nodown.sql': 'create table nodown (id int);\n',
        '060_bad.sql': 'select 1 / 0;\n',
      },
    });
  });
  afterAll(async () => h?.stop());

  async function approve(prefix: string, user = 'U0DBA1') {
    expect((await h.click(prefix, 'gate.approve', user)).status).toBe(200);
    await h.settle();
  }

  it('the production card lists only what is pending there, in migration order; nothing pending opens no gate', async () => {
    await h.slash('010_more');
    await h.settle();
    expect(listed(current(h.slack, APPROVAL))).toEqual(['001_base', '010_more']);
    await approve(APPROVAL);
    expect(current(h.slack, CARD)).toContain('Succeeded');

    // Run 2 deploys 024, 025 and 030: 001 and 010 are in production's ledger already.
    await h.slash('030_col');
    await h.settle();
    const card = current(h.slack, APPROVAL);
    expect(card).toContain('Will apply on *production* exactly these 3 files, in this order:');
    expect(listed(card)).toEqual(['024_users', '025_index', '030_col']);
    expect(current(h.slack, CARD)).toMatch(
      /production:\*\s+✅ preflight 3 files to apply: 024_users, 025_index, 030_col/,
    );
    // Its verify fails on production only: held, so the rollback card can be read before approving it.
    await approve(APPROVAL);
    expect(current(h.slack, CARD)).toMatch(/⛔ verify/);
  });

  it('the rollback card names what it undoes and what stays, and the rollback does exactly that', async () => {
    await h.click(CARD, 'run.rollback', 'U0DBA2');
    await h.settle();
    const card = current(h.slack, ROLLBACK);
    expect(card).toContain(
      'Will undo on production, newest first: `030_col` (`030_col.down.sql`). `024_users`, `025_index` stay applied: no down file for `025_index`',
    );
    await approve(ROLLBACK);
    const ledger = await query<{ id: string }>(
      h.targets.production!,
      'select id from migration_gate.applied_migrations order by id',
    );
    expect(ledger.map((r) => r.id)).toEqual(['001_base', '010_more', '024_users', '025_index']);
    const columns = await query(
      h.targets.production!,
      "select 1 from information_schema.columns where table_name = 'users' and column_name = 'name'",
    );
    expect(columns).toEqual([]);
    expect(current(h.slack, 'Rollback on production')).toContain('`024_users`, `025_index` stay applied');
  });

  it('a run with nothing pending anywhere opens no gate and says so', async () => {
    const gatesBefore = h.slack.calls.filter((c) => String(c.args.text ?? '').startsWith(APPROVAL)).length;
    await h.slash('010_more');
    await h.settle();
    const card = current(h.slack, CARD);
    expect(card).toMatch(/production:\*\s+✅ preflight nothing to apply on production/);
    expect(card).toMatch(/⏭️ approval nothing to apply on production/);
    expect(card).toContain('Succeeded');
    const gatesAfter = h.slack.calls.filter((c) => String(c.args.text ?? '').startsWith(APPROVAL)).length;
    expect(gatesAfter).toBe(gatesBefore);
  });

  it('an apply that fails after earlier files of the run went in holds the run and offers Roll back for those', async () => {
    await h.slash('040_bad to staging');
    await h.settle();
    let card = current(h.slack, CARD);
    expect(card).toMatch(/staging:\*\s+✅ preflight 2 files to apply: 035_ok, 040_bad .*⛔ apply/);
    expect(card).not.toContain('Re-run verification');
    await h.click(CARD, 'run.rollback', 'U0REQUESTER');
    await h.settle();
    card = current(h.slack, CARD);
    expect(card).toMatch(/↩️ Rolled back by <@U0REQUESTER>/);
    expect(await query(h.targets.staging!, "select to_regclass('ok35') is null as gone")).toEqual([
      { gone: true },
    ]);
  });

  it('a rollback with nothing it can undo is refused, saying why, before anything is recorded', async () => {
    // 040 is fixed; 035 (rolled back above), 040 and 050 go in, then 060 fails: 050 and 040 have no down file.
    writeFileSync(join(h.migrationsDir, '040_bad.sql'), 'select 1;\n');
    await h.slash('060_bad to staging');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/⛔ apply/);
    const audits = async () =>
      (
        await query<{ n: number }>(
          h.stateUrl,
          "select count(*)::int as n from migration_gate_state.audit_events where action = 'rollback.requested'",
        )
      )[0]!.n;
    const before = await audits();
    await h.click(CARD, 'run.rollback', 'U0REQUESTER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      'Nothing can be rolled back on staging: no down file for `040_bad`, `050_nodown` (write `040_bad.down.sql`, `050_nodown.down.sql` or undo by hand).',
    );
    expect(await audits()).toBe(before);
    expect(current(h.slack, CARD)).toMatch(/⛔ apply/);
  });
});
