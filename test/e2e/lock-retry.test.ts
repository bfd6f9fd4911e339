/**
 * An apply that could not get its lock (a session idle in transaction holds the table): the run holds, the card
 * says what happened in a sentence and offers Retry apply, which the people allowed can press once the blocker is
 * gone; the files already applied stay applied.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { buttonsOf, current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const runStatus = async (h: Harness, id: number) =>
  (
    await query<{ status: string }>(
      h.stateUrl,
      `select status from migration_gate_state.runs where id = ${id}`,
    )
  )[0]!.status;

const columns = async (h: Harness) =>
  (
    await query<{ column_name: string }>(
      h.targets.staging!,
      "select column_name from information_schema.columns where table_name = 'hot' order by 1",
    )
  ).map((c) => c.column_name);

/** A session that reads `hot` and stays idle in transaction, as a forgotten report would. */
async function holdHot(h: Harness): Promise<pg.Client> {
  const holder = new pg.Client({ connectionString: h.targets.staging!, application_name: 'reporting-job' });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select count(*) from hot');
  return holder;
}

const cardButtons = (h: Harness, run: number) => {
  const m = [...h.slack.messages].reverse().find((x) => x.text.startsWith(`Run #${run} `) && !x.visibleTo)!;
  return buttonsOf(m.blocks as unknown[]).map((b) => b.action_id);
};

describe('Retry apply after a lock timeout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      migrations: {
        '001_hot.sql': 'create table hot (id int primary key, v text);\n',
        '002_add.sql': 'alter table hot add column extra int;\n',
        '003_other.sql': 'create table other (id int);\n',
        '004_more.sql': 'alter table hot add column more int;\n',
      },
      envOptions:
        '    firstLockTimeout: 100ms\n    lockTimeout: 200ms\n    lockRetries: 2\n    retryBackoff: 100ms',
    });
    await h.slash('001');
    await h.settle();
  });
  afterAll(async () => h?.stop());

  it('holds the run with a sentence and Retry apply; pressing it once the blocker is gone applies the file', async () => {
    const holder = await holdHot(h);
    await h.slash('002');
    await h.settle();

    // The thread said so at once, before the apply's own reply: one message, edited when the apply gave up.
    const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid as number;
    const posts = h.slack.callsTo('chat.postMessage').map((c) => String(c.args.text));
    const notices = posts.filter((t) => t.startsWith('Lock wait on staging'));
    expect(notices).toHaveLength(1);
    expect(posts.indexOf(notices[0]!)).toBeLessThan(
      posts.findLastIndex((t) => t.startsWith('Apply on staging')),
    );
    expect(notices[0]).toMatch(
      new RegExp(
        `^Lock wait on staging: Waiting for a lock on hot \\(002_add\\.sql\\): blocked by pid ${pid}, reporting-job, idle in transaction for [0-9.]+ (ms|s): select count\\(\\*\\) from hot; the bot retries up to 2 times`,
      ),
    );
    const notice = current(h.slack, 'Lock wait on staging');
    expect(notice).toContain('❌ Gave up: nothing of 002_add.sql was applied. The run holds: Retry apply');
    // Never the session's user, host or database.
    const url = new URL(h.targets.staging!);
    for (const secret of [url.username, url.hostname, url.pathname.slice(1)])
      expect(notice).not.toContain(secret);

    // Held, not failed: nothing of 002 went in, and the card says so and what to do.
    expect(await runStatus(h, 2)).toBe('running');
    const card = current(h.slack, 'Run #2 ');
    expect(card).toContain('⛔ apply lock timeout');
    expect(card).toMatch(
      /The apply on staging could not get the lock on hot after 1 attempt \(held by a session idle in transaction for [0-9.]+ (ms|s)\); nothing of 002_add\.sql was applied\. Retry apply when the blocker is gone, or Cancel\./,
    );
    // Roll back would undo nothing here: Retry apply and Cancel only, and the card does not speak of Roll back.
    expect(cardButtons(h, 2)).toEqual([ACTIONS.retryApply, ACTIONS.cancel]);
    expect(card).not.toContain('Roll back undoes');
    expect(await columns(h)).toEqual(['id', 'v']);

    // Someone who is neither the requester nor an approver may not.
    await h.click('Run #2 ', ACTIONS.retryApply, 'U0STRANGER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('can retry the apply of run #2 on staging');
    expect(await runStatus(h, 2)).toBe('running');

    await holder.query('rollback');
    await holder.end();
    await h.click('Run #2 ', ACTIONS.retryApply, 'U0REQUESTER');
    await h.settle();
    expect(await runStatus(h, 2)).toBe('succeeded');
    expect(await columns(h)).toEqual(['extra', 'id', 'v']);
    expect(lastPost(h.slack, 'Apply on staging')).toContain('Apply on staging* ✅');
    // The retry got its lock at its first attempt: no new lock notice.
    expect(
      h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Lock wait')),
    ).toHaveLength(1);
    expect(current(h.slack, 'Run #2 ')).not.toContain('Retry apply');

    // The held card the user may still have: its Retry apply changes nothing now (a press on a held card that
    // is no longer holding is refused as out of date: test/unit/decide-retry-apply.test.ts).
    await h.click('Run #2 ', ACTIONS.retryApply, 'U0REQUESTER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('Run #2 has already finished.');
    expect(await runStatus(h, 2)).toBe('succeeded');
    const audit = await query<{ actor: string; action: string }>(
      h.stateUrl,
      "select actor, action from migration_gate_state.audit_events where run_id = 2 and action like 'apply.retr%' order by id",
    );
    expect(audit).toEqual([
      { actor: 'U0STRANGER', action: 'apply.retry.refused' },
      { actor: 'U0REQUESTER', action: 'apply.retried' },
    ]);
  });

  it('a retry after some files went in keeps them applied; the step lists both (what a rollback undoes)', async () => {
    const holder = await holdHot(h);
    await h.slash('004');
    await h.settle();
    expect(await runStatus(h, 3)).toBe('running');
    const card = current(h.slack, 'Run #3 ');
    expect(card).toContain('⛔ apply lock timeout, some files applied');
    expect(card).toContain('nothing of 004_more.sql was applied');
    // 003 went in: Roll back is offered beside Retry apply.
    expect(cardButtons(h, 3)).toEqual([ACTIONS.retryApply, ACTIONS.rollback, ACTIONS.cancel]);
    await holder.query('rollback');
    await holder.end();
    await h.click('Run #3 ', ACTIONS.retryApply, 'U0REQUESTER');
    await h.settle();
    expect(await runStatus(h, 3)).toBe('succeeded');
    const ledger = await query<{ id: string; run_id: number }>(
      h.targets.staging!,
      'select id, run_id from migration_gate.applied_migrations order by id',
    );
    expect(ledger.filter((r) => r.run_id === 3).map((r) => r.id)).toEqual(['003_other', '004_more']);
    // The step's stored result lists both files (what a rollback undoes).
    const [step] = await query<{ result: { files: { id: string }[] } }>(
      h.stateUrl,
      "select result from migration_gate_state.steps where run_id = 3 and name = 'apply'",
    );
    expect(step!.result.files.map((f) => f.id)).toEqual(['003_other', '004_more']);
  });
});
