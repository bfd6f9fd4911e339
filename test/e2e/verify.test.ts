import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;

describe('verification in runs and on command', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      migrations: {
        '001_fn.sql':
          'create table points (id int primary key, n int);\ncreate function score() returns int language sql as $$ select 1 $$;\n',
        '001_fn.down.sql': 'drop function score();\ndrop table points;\n',
        '001_fn.checks.yml':
          '- { name: score returns 2, sql: "select score()", expect: 2 }\n- { name: points exists, table: points }\n',
      },
      envYaml: { production: '    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n' },
    });
  });
  afterAll(async () => h?.stop());

  it('a failing blocker holds the run; Re-run checks again; Roll back runs the down file and the ledger says so', async () => {
    await h.slash('001 to staging');
    await h.settle();
    const verify = lastPost(h.slack, 'Verify on staging');
    expect(verify).toContain('1/2 pass, 1 blocker failed');
    const card = current(h.slack, CARD);
    expect(card).toMatch(/⛔ verify 1\/2/);
    const before = h.slack.callsTo('chat.postMessage').length;

    await h.click(CARD, 'run.rollback', 'U0OUTSIDER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      'Only <@U0REQUESTER> (who requested run #1), an approver for staging or on-call can roll back run #1 on staging.',
    );

    await h.click(CARD, 'run.rerun_verify', 'U0REQUESTER');
    await h.settle();
    expect(h.slack.callsTo('chat.postMessage').length).toBe(before + 1);
    expect(lastPost(h.slack, 'Verify on staging')).toContain('1/2 pass');

    await h.click(CARD, 'run.rollback', 'U0REQUESTER');
    await h.settle();
    const rollback = lastPost(h.slack, 'Rollback on staging');
    expect(rollback).toContain('`001_fn.down.sql` · 2 statements');
    expect(rollback).toContain('The catalog now equals the catalog before apply.');
    expect(current(h.slack, CARD)).toContain(
      'Rolled back by <@U0REQUESTER>: Verification failed on staging: score returns 2.',
    );
    expect(await query(h.targets.staging!, "select to_regproc('score') as f")).toEqual([{ f: null }]);
    expect(await query(h.targets.staging!, 'select id from migration_gate.applied_migrations')).toEqual([]);
    expect(
      await query(h.targets.staging!, 'select id, rolled_back_by from migration_gate.rolled_back_migrations'),
    ).toEqual([{ id: '001_fn', rolled_back_by: 'U0REQUESTER' }]);
    expect(lastPost(h.slack, 'Run #1 report')).toContain('↩️ Rolled back');
  });

  it('only the requester or an approver of that environment may roll back', async () => {
    writeFileSync(join(h.migrationsDir, '001_fn.checks.yml'), '- { name: points exists, table: points }\n');
    writeFileSync(join(h.migrationsDir, '002_more.sql'), 'create table more (id int);\n');
    writeFileSync(join(h.migrationsDir, '002_more.down.sql'), 'drop table more;\n');
    writeFileSync(
      join(h.migrationsDir, '002_more.checks.yml'),
      '- { name: more has rows, sql: "select count(*) from more", expect: "> 0" }\n',
    );
    await h.slash('002');
    await h.settle();
    expect(lastPost(h.slack, 'Verify on staging')).toContain('1/2 pass'); // 001's table check passes, 002's fails
    await h.click(CARD, 'run.rollback', 'U0DBA'); // a dba for production, not for staging
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      'Only <@U0REQUESTER> (who requested run #2), an approver for staging or on-call can roll back run #2 on staging.',
    );
    await h.click(CARD, 'run.rollback', 'U0REQUESTER');
    await h.settle();
    expect(await query(h.targets.staging!, "select to_regclass('more') as t")).toEqual([{ t: null }]);
    // both files of the run were rolled back, newest first
    expect(lastPost(h.slack, 'Rollback on staging')).toMatch(/002_more\.down\.sql.*\n.*001_fn\.down\.sql/);
    expect(current(h.slack, CARD)).toContain('Rolled back by <@U0REQUESTER>');
  });

  it('a failing verify on production opens a rollback gate; the dba approves; the down files run', async () => {
    writeFileSync(join(h.migrationsDir, '002_more.checks.yml'), '- { name: more exists, table: more }\n');
    writeFileSync(join(h.migrationsDir, '003_flag.sql'), 'create table flags (id int);\n');
    writeFileSync(join(h.migrationsDir, '003_flag.down.sql'), 'drop table flags;\n');
    writeFileSync(
      join(h.migrationsDir, '003_flag.checks.yml'),
      [
        '- { name: flags seeded, sql: "select count(*) from flags", expect: 1, severity: warning }',
        '- { name: no legacy table left, sql: "select count(*) from pg_tables where tablename = \'legacy\'", expect: 0 }',
      ].join('\n'),
    );
    await query(h.targets.production!, 'create table legacy (id int)'); // production alone has it
    await h.slash('003');
    await h.settle();
    expect(lastPost(h.slack, 'Verify on staging')).toContain('3/4 pass, 1 warning'); // a warning does not block
    await h.click('Approval needed for production', 'gate.approve', 'U0DBA');
    await h.settle();
    expect(lastPost(h.slack, 'Verify on production')).toContain('1 blocker failed');
    expect(current(h.slack, CARD)).toMatch(/production:.*⛔ verify/s);
    await h.click(CARD, 'run.rollback', 'U0REQUESTER');
    await h.settle();
    expect(current(h.slack, 'Rollback approval needed for production')).toContain(
      'Will undo on production, newest first: `003_flag` (`003_flag.down.sql`), `002_more` (`002_more.down.sql`), `001_fn` (`001_fn.down.sql`). That is everything this run applied there.',
    );
    await h.click('Rollback approval needed for production', 'gate.approve', 'U0REQUESTER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('You are not in a rule for production');
    await h.click('Rollback approval needed for production', 'gate.approve', 'U0DBA');
    await h.settle();
    expect(await query(h.targets.production!, "select to_regclass('flags') as t")).toEqual([{ t: null }]);
    expect(current(h.slack, CARD)).toContain('Rolled back by <@U0REQUESTER>');
  });

  it('/deploy-migration verify posts the table; the Run verification button too', async () => {
    await h.slash('verify 001 on staging');
    await h.settle();
    const answer = ephemerals(h.slack).at(-1)!;
    expect(answer).toContain('Verification of 001_fn on staging');
    expect(answer).toContain('1/1 pass');
    const table = h.slack.callsTo('response_url').at(-1)!.args.blocks as {
      type: string;
      rows?: { text: string }[][];
    }[];
    const rows = table.find((b) => b.type === 'table')!.rows!.map((r) => r.map((c) => c.text));
    expect(rows).toEqual([
      ['Check', 'Target', 'Actual', 'Status', 'Time'],
      ['points exists', 'public.points exists', 'table', '✅', expect.stringMatching(/^\d+ ms$/)],
    ]);
    await h.slash('verify #1');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      "Ran the checks of run #1 on staging; the table is in the run's thread.",
    );
    // Run #1 is bound to the checks it started with; the file was edited since.
    expect(lastPost(h.slack, 'Verification on staging, run now by')).toMatch(
      /001_fn\.checks\.yml changed since run #1 started \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\)/,
    );
    // Production has approval rules: checks on command there are for its approvers, on-call and the requester.
    await h.click(CARD, 'run.verify', 'U0PO');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toMatch(
      /Only <@U0REQUESTER> \(who requested run #\d+\), production's approvers or on-call can run checks on production\./,
    );
    await h.click(CARD, 'run.verify', 'U0DBA');
    await h.settle();
    expect(lastPost(h.slack, 'Verification on production, run now by <@U0DBA>')).toContain('❌');
    await h.slash('verify 999');
    await h.slash('verify #1 on nowhere');
    await h.settle();
    const [unknown, env] = ephemerals(h.slack).slice(-2);
    expect(unknown).toContain('There is no migration "999". Available: `001_fn`, `002_more`, `003_flag`.');
    expect(env).toContain('There is no environment "nowhere"');
  });
});
