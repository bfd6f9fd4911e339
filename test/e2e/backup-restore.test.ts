/**
 * Backups (issue 13, part 4), end to end over signed HTTP and real PostgreSQL: a destructive migration (drop column,
 * delete rows, drop table) is backed up before apply with counts and sizes in the thread; after its rollback the
 * card offers Restore from backup, which a wrong person is refused and the requester gets; restore brings the data
 * back; keepFor removes the copies on the scheduler's tick and the audit log says what went.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_ACTIONS } from '../../src/slack/backup-blocks.js';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { clock, current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const SEED = `
  create table users (id serial primary key, name text not null, nickname text);
  insert into users (name, nickname) select 'user ' || i, 'nick ' || i from generate_series(1, 40) i;
  create table events (id bigint primary key, user_id int references users (id), kind text);
  insert into events select i, 1 + i % 40, 'kind ' || i from generate_series(1, 100) i;
  create table audit_log (at int, what text);
  insert into audit_log select i, 'did ' || i from generate_series(1, 10) i;`;

describe('backup before apply, restore after the rollback', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      migrations: {
        '002_destructive.sql':
          'alter table users drop column nickname;\ndelete from events where id > 60;\ndrop table audit_log;\n',
        // The down file brings the structure back, never the data.
        '002_destructive.down.sql':
          'alter table users add column nickname text;\ncreate table audit_log (at int, what text);\n',
        // Verification fails, so the run holds and can be rolled back.
        '002_destructive.checks.yml': '- { name: never true, sql: "select 1", expect: 2 }\n',
      },
      envYaml: { staging: '    backup: { tables: affected-tables, keepFor: 30d }\n' },
    });
    await query(h.targets.staging!, SEED);
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  const staging = (sql: string) => query(h.targets.staging!, sql);
  const runRow = async () =>
    (
      await query<{ status: string }>(h.stateUrl, 'select status from migration_gate_state.runs where id = 1')
    )[0]!;
  const dataNow = async () =>
    (
      await staging(`select
        (select count(*)::int from events) as events,
        (select count(nickname)::int from users) as nicknames,
        (select count(*)::int from audit_log) as audit`)
    )[0];

  it('backs up, rolls back, refuses a wrong person, restores, and removes the copies after keepFor', async () => {
    await h.slash('002_destructive');
    await h.settle();

    // The backup's reply: each copy with its rows and size, before apply.
    const backup = lastPost(h.slack, 'Backup on staging');
    expect(backup).toContain('3 tables copied into `migration_gate_backup`');
    expect(backup).toMatch(/• `users` → `run1_users`: 40 rows, \d+(\.\d)? kB \(alter\)/);
    expect(backup).toMatch(/• `events` → `run1_events`: 100 rows, \d+(\.\d)? kB \(delete\)/);
    expect(backup).toMatch(/• `audit_log` → `run1_audit_log`: 10 rows, \d+(\.\d)? kB \(drop\)/);
    expect(current(h.slack, CARD)).toMatch(/✅ backup 3 tables, 150 rows, \d+ kB/);
    // The migration went through (DROP TABLE despite the copy), verification held the run.
    expect(await staging("select to_regclass('audit_log') as t")).toEqual([{ t: null }]);
    expect(await staging('select count(*)::int as n from events')).toEqual([{ n: 60 }]);

    await h.click(CARD, ACTIONS.rollback, 'U0REQUESTER');
    await h.settle();
    const rollback = lastPost(h.slack, 'Rollback on staging');
    expect(rollback).toContain('Restore from backup is offered');
    expect(rollback).toContain('the values of `nickname` by primary key');
    expect(rollback).toContain('the rows missing of the 100 rows copied');
    expect(rollback).toContain('the table and its 10 rows');
    const card = current(h.slack, CARD);
    expect(card).toContain('Rolled back on staging. Its backup can put back data the down files could not');
    expect(card).toContain('Restore from backup');
    expect(await dataNow()).toEqual({ events: 60, nicknames: 0, audit: 0 });

    // A wrong person: a sentence, and nothing changes.
    await h.click(CARD, RESTORE_ACTIONS.restore, 'U0OUTSIDER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      "Only <@U0REQUESTER> (who requested run #1), an approver for staging or on-call can restore run #1's backup on staging.",
    );
    expect(await runRow()).toEqual({ status: 'running' });
    expect(
      await query(
        h.stateUrl,
        "select status from migration_gate_state.steps where run_id = 1 and name = 'restore'",
      ),
    ).toEqual([{ status: 'blocked' }]);
    expect(await dataNow()).toEqual({ events: 60, nicknames: 0, audit: 0 });

    await h.click(CARD, RESTORE_ACTIONS.restore, 'U0REQUESTER');
    await h.settle();
    const restore = lastPost(h.slack, 'Restore on staging');
    expect(restore).toContain(
      'Restore on staging* ✅ 3 tables: 50 rows put back, 40 rows with values put back',
    );
    expect(restore).toContain('• `audit_log`: 10 rows put back');
    expect(restore).toContain('• `users`: `nickname` put back on 40 rows');
    expect(await dataNow()).toEqual({ events: 100, nicknames: 40, audit: 10 });
    expect(await staging('select nickname from users where id = 7')).toEqual([{ nickname: 'nick 7' }]);
    expect(await runRow()).toEqual({ status: 'rolled_back' });
    expect(
      await query(
        h.stateUrl,
        "select actor, action from migration_gate_state.audit_events where action like 'restore%' order by id",
      ),
    ).toEqual([
      { actor: 'U0OUTSIDER', action: 'restore.refused' },
      { actor: 'U0REQUESTER', action: 'restore.requested' },
    ]);

    // keepFor: nothing goes before 30 days; after them the tick drops the copies and records what it removed.
    clock.offsetMs = 29 * 86_400_000;
    expect(await h.bot.service.tick(clock.now())).toBe(0);
    expect(await staging('select count(*)::int as n from migration_gate_backup.backups')).toEqual([{ n: 3 }]);
    clock.offsetMs = 31 * 86_400_000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    expect(
      await staging(
        "select count(*)::int as n from pg_class where relnamespace = 'migration_gate_backup'::regnamespace and relname like 'run1_%'",
      ),
    ).toEqual([{ n: 0 }]);
    const removed = await query<{
      actor: string;
      detail: { removed: { backup: string; rows: number; bytes: number }[] };
    }>(
      h.stateUrl,
      "select actor, detail from migration_gate_state.audit_events where action = 'backup.removed'",
    );
    expect(removed).toHaveLength(1);
    expect(removed[0]!.actor).toBe('migration-gate');
    expect(removed[0]!.detail.removed.map((r) => [r.backup, r.rows]).sort()).toEqual([
      ['run1_audit_log', 10],
      ['run1_events', 100],
      ['run1_users', 40],
    ]);
    expect(removed[0]!.detail.removed.every((r) => r.bytes > 0)).toBe(true);
    expect(await h.bot.service.tick(clock.now())).toBe(0);
    // Nothing the bot posted names a host, user or database.
    const said = h.slack.calls.map((c) => JSON.stringify(c.args)).join('\n');
    expect(said).not.toMatch(/mg_staging|127\.0\.0\.1|postgres:\/\//);
  });
});
