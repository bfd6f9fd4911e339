/**
 * The bot killed (SIGKILL) while an apply waits for its lock, then started again: the run says precisely what is
 * known (the file being applied was not applied, which files of the run are, the backup is kept), not the generic
 * "the bot stopped" sentence, and holds for Roll back, which undoes them. Real bot processes, as `npm start` runs
 * them.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { BOT_TOKEN, buttonsOf, CHANNEL, textOf } from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';
import { killAll, migrationsDir, type SlackBot, startSlackBot } from '../support/slack-bots.js';
import { until } from '../support/started.js';

describe('the bot killed during a lock wait', () => {
  const bots: SlackBot[] = [];
  let slack: FakeSlack | undefined;
  let holder: pg.Client | undefined;
  afterAll(async () => {
    killAll(bots);
    await holder?.end().catch(() => undefined);
    await slack?.close();
  });

  it('holds the run naming the file that was not applied and the files that are, for Roll back', async () => {
    slack = await startFakeSlack({ botToken: BOT_TOKEN });
    const env = {
      DATABASE_URL: await createTestDatabase('mg_lock_kill_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_lock_kill_staging'),
      DEPLOY_CONFIG: migrationsDir({
        '001_hot.sql': 'create table hot (id int primary key);\n',
        '002_other.sql': 'create table other (id int);\n',
        '002_other.down.sql': 'drop table other;\n',
        '003_add.sql': 'alter table hot add column extra int;\n',
      }),
    };
    const runRow = async (id: number) =>
      (
        await query<{ status: string; reason: string | null }>(
          env.DATABASE_URL,
          'select status, reason from migration_gate_state.runs where id = $1',
          [id],
        )
      )[0];
    const a = await startSlackBot(slack, env);
    bots.push(a);
    await a.slash('001');
    await until('run #1 to succeed', async () =>
      (await runRow(1))?.status === 'succeeded' ? true : undefined,
    );

    holder = new pg.Client({ connectionString: env.STAGING_DATABASE_URL, application_name: 'reporting-job' });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select count(*) from hot');
    await a.slash('003');
    // The bot says it waits (lock notice), and is killed while it does.
    await until('the lock wait notice', async () =>
      slack!.callsTo('chat.postMessage').some((c) => String(c.args.text).startsWith('Lock wait on staging'))
        ? true
        : undefined,
    );
    process.kill(-a.child.pid!, 'SIGKILL');
    await new Promise((r) => (a.child.exitCode === null ? a.child.once('exit', r) : r(null)));

    bots.push(await startSlackBot(slack, env));
    // 002_other went in before the kill: the run holds (as after an apply that failed part way) so Roll back can
    // undo it, rather than ending with it applied and no button (user trial).
    const expected =
      'The bot stopped while this run was in progress, applying 003_add.sql on staging: its transaction died with the bot, so nothing of 003_add.sql was applied. Applied on staging by this run: `002_other`.';
    await until('the run to be recovered', async () =>
      (await runRow(2))?.reason === expected ? true : undefined,
    );
    expect((await runRow(2))!.status).toBe('running');
    await until('the card to say so', async () => {
      const card = [...slack!.messages].reverse().find((m) => m.text.startsWith('Run #2 ') && !m.visibleTo);
      const text = card && textOf({ text: card.text, blocks: card.blocks });
      return text?.includes(expected) && text.includes('Roll back undoes what this run applied on staging')
        ? true
        : undefined;
    });
    const ledger = await query<{ id: string }>(
      env.STAGING_DATABASE_URL,
      'select id from migration_gate.applied_migrations order by id',
    );
    expect(ledger.map((r) => r.id)).toEqual(['001_hot', '002_other']);

    // Roll back undoes what the card says went in (user trial: the cut step had no stored result, so the
    // rollback undid nothing of it and still said "Rolled back").
    const card = [...slack!.calls]
      .reverse()
      .find(
        (c) =>
          ['chat.postMessage', 'chat.update'].includes(c.method) &&
          String(c.args.text).startsWith('Run #2 ') &&
          buttonsOf((c.args.blocks as unknown[]) ?? []).some((b) => b.action_id === 'run.rollback'),
      )!;
    const button = buttonsOf(card.args.blocks as unknown[]).find((b) => b.action_id === 'run.rollback')!;
    const clicked = await bots.at(-1)!.interact({
      type: 'block_actions',
      user: { id: 'U0REQUESTER' },
      channel: { id: CHANNEL },
      trigger_id: '1234.5678.rollback',
      response_url: slack!.responseUrl('U0REQUESTER', CHANNEL),
      container: { type: 'message', message_ts: String(card.args.ts), channel_id: CHANNEL },
      message: { ts: String(card.args.ts) },
      actions: [
        { type: 'button', action_id: 'run.rollback', block_id: 'x', value: button.value, action_ts: '1.3' },
      ],
    });
    expect(clicked.status).toBe(200);
    await until('the run to be rolled back', async () =>
      (await runRow(2))?.status === 'rolled_back' ? true : undefined,
    );
    const after = await query<{ id: string }>(
      env.STAGING_DATABASE_URL,
      'select id from migration_gate.applied_migrations order by id',
    );
    expect(after.map((r) => r.id)).toEqual(['001_hot']);
    expect(await query(env.STAGING_DATABASE_URL, "select to_regclass('other') as t")).toEqual([{ t: null }]);
  });
});
