/**
 * Backups with services (docs/services.md, docs/backups.md): each service's backup step copies what its files change
 * in its own database; a rollback undoes the services newest first, and a restore offered for one service holds the
 * run there: Restore from backup puts that service's data back and the next service's rollback goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_ACTIONS } from '../../src/slack/backup-blocks.js';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { current, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;

describe('backups and restores of several services', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      services: {
        migrations: {
          academy: {
            '001_courses.sql': 'create table courses (id int primary key);\n',
            '001_courses.down.sql': 'drop table courses;\n',
          },
          community: {
            '001_drop_nickname.sql': 'alter table users drop column nickname;\n',
            '001_drop_nickname.down.sql': 'alter table users add column nickname text;\n',
            // Verification fails, so the run holds and can be rolled back.
            '001_drop_nickname.checks.yml': '- { name: never true, sql: "select 1", expect: 2 }\n',
          },
        },
      },
      envYaml: { staging: '    backup: affected-tables\n' },
    });
    await query(
      h.targets['staging/community']!,
      "create table users (id int primary key, nickname text); insert into users select i, 'nick ' || i from generate_series(1, 12) i;",
    );
  });
  afterAll(async () => h?.stop());

  const tables = async (key: string) =>
    (
      await query<{ t: string }>(
        h.targets[key]!,
        "select tablename as t from pg_tables where schemaname = 'public'",
      )
    ).map((r) => r.t);

  it("backs up per service; the restore of one service's backup, then the next service's rollback", async () => {
    await h.slash('release');
    await h.settle();
    expect(lastPost(h.slack, 'Backup on staging · community')).toMatch(/`users` → `run1_users`: 12 rows/);
    let card = current(h.slack, CARD);
    expect(card).toMatch(/↳ \*community:\*.*✅ backup .*✅ apply .*⛔ verify/);
    expect(await tables('staging/academy')).toContain('courses');

    await h.click(CARD, ACTIONS.rollback, 'U0REQUESTER');
    await h.settle();
    // community was applied last: rolled back first, and its backup can put the nicknames back.
    card = current(h.slack, CARD);
    expect(card).toMatch(/↳ \*community:\*.*✅ rollback/);
    expect(card).toMatch(/↳ \*academy:\*.*▫️ rollback/);
    expect(await tables('staging/academy')).toContain('courses');

    expect(card).toContain(
      "↩️ community rolled back on staging. Its backup can put back data the down files could not: Restore from backup (community's), or Finish without restoring to go on with the rollback of the other services.",
    );
    // Restore from community's backup (user trial: it said 'This run has no backup on staging'), then academy.
    await h.click(CARD, RESTORE_ACTIONS.restore, 'U0REQUESTER');
    await h.settle();
    expect(lastPost(h.slack, 'Restore on staging · community')).toMatch(/✅ 1 table/);
    const nick = await query(h.targets['staging/community']!, 'select count(nickname)::int as n from users');
    expect(nick).toEqual([{ n: 12 }]);
    card = current(h.slack, CARD);
    expect(card).toMatch(/↳ \*academy:\*.*✅ rollback/);
    expect(card).toMatch(/Rolled back by/);
    expect(await tables('staging/academy')).not.toContain('courses');
  });
});
