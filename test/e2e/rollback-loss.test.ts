/**
 * The rollback approval card warns when rolling back loses data, end to end over signed HTTP and real PostgreSQL:
 * the migration adds a column the application then fills, its down file drops it, and the card says so before
 * anyone approves, with what the backup taken before apply can and cannot put back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_ACTIONS } from '../../src/slack/backup-blocks.js';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { current, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const GATE = 'Rollback approval needed for production';

describe('the rollback card says what rolling back loses', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['production'],
      migrations: {
        '001_nickname.sql': 'alter table users add column nickname text;\ndelete from users where id > 15;\n',
        '001_nickname.down.sql': 'alter table users drop column nickname;\n',
        // Verification fails, so the run holds and can be rolled back.
        '001_nickname.checks.yml': '- { name: never true, sql: "select 1", expect: 2 }\n',
      },
      envYaml: {
        production:
          '    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n    backup: { tables: affected-tables, keepFor: 30d }\n',
      },
    });
    await query(
      h.targets.production!,
      "create table users (id serial primary key, name text not null);\ninsert into users (name) select 'user ' || i from generate_series(1, 20) i;",
    );
  });
  afterAll(async () => h?.stop());

  it('a down file dropping a filled column: the card names it and what the backup holds', async () => {
    await h.slash('001_nickname');
    await h.settle();
    await h.click('Approval needed for production', ACTIONS.approve, 'U0DBA');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/production:.*⛔ verify/s);
    // The application writes to the new column before anyone rolls back.
    await query(h.targets.production!, "update users set nickname = 'nick ' || id");

    await h.click(CARD, ACTIONS.rollback, 'U0REQUESTER');
    await h.settle();
    // The run card names the gate by what it decides.
    expect(current(h.slack, CARD)).toMatch(
      /⏸ rollback approval \(dba 0\/1\) · approve in the thread {2}· {2}▫️ rollback/,
    );
    const gate = current(h.slack, GATE);
    expect(gate).toContain(
      'Will undo on production, newest first: `001_nickname` (`001_nickname.down.sql`).',
    );
    expect(gate).toContain(
      '⚠️ Rolling back loses data: the down files drop column users.nickname, with whatever was written to them since apply; the backup taken before apply on production (1 table) holds only what was there before the migration.',
    );
    // The card is a warning, not a refusal: approving still rolls back.
    await h.click(GATE, ACTIONS.approve, 'U0DBA');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/✅ rollback approved {2}· {2}✅ rollback/);
    expect(
      await query(
        h.targets.production!,
        "select count(*)::int as n from information_schema.columns where table_name = 'users' and column_name = 'nickname'",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it("a restore rejected: the card's status line names who rejected it as a mention, the reason typed as text", async () => {
    // The rollback of the first test offered a restore from the backup taken before apply.
    await h.click(CARD, RESTORE_ACTIONS.restore, 'U0REQUESTER');
    await h.settle();
    await h.click('Restore approval needed for production', ACTIONS.reject, 'U0DBA');
    await h.settle();
    await h.submitModal('U0DBA', 'Not <now> & not here');
    await h.settle();
    expect(current(h.slack, CARD)).toContain(
      'The restore of production was rejected by <@U0DBA> (Not &lt;now&gt; &amp; not here): the rollback stands, its data was not restored.',
    );
    // The report summary names the restore's gate as one (user trial: it read 'rollback approval').
    expect(lastPost(h.slack, 'Run #1 report')).toMatch(/✅ rollback approval .*❌ restore approval/);
  });
});
