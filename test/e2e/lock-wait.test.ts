/**
 * A migration blocked by a long transaction: the thread names who held the lock, the readers of the table never
 * wait longer than the first attempt, and once the blocker ends the migration lands.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { current, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

describe('a migration waiting for a lock', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      migrations: {
        '001_hot.sql': 'create table hot (id int primary key, v text);\ninsert into hot values (1, $$a$$);\n',
        '002_add.sql': 'alter table hot add column extra int;\n',
      },
      envOptions:
        '    firstLockTimeout: 100ms\n    lockTimeout: 500ms\n    lockRetries: 3\n    retryBackoff: 200ms',
    });
  });
  afterAll(async () => h?.stop());

  it('names the blocking session in the thread and never queues readers behind it for long', async () => {
    await h.slash('001');
    await h.settle();
    const holder = new pg.Client({ connectionString: h.targets.staging!, application_name: 'reporting-job' });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select count(*) from hot');
    const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid as number;

    // Readers of hot, all along: none may wait for the migration's lock request longer than its first attempt.
    let reading = true;
    const latencies: number[] = [];
    const reader = (async () => {
      const c = new pg.Client({ connectionString: h.targets.staging! });
      await c.connect();
      while (reading) {
        const t = performance.now();
        await c.query('select v from hot where id = 1');
        latencies.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 10));
      }
      await c.end();
    })();

    await h.slash('002');
    await h.settle();
    reading = false;
    await reader;
    await holder.query('rollback');
    await holder.end();
    // The run holds for Retry apply (test/e2e/lock-retry.test.ts); cancelled here, it ends and posts its report.
    await h.click('Run #2 ', ACTIONS.cancel, 'U0REQUESTER');
    await h.settle();

    const apply = lastPost(h.slack, 'Apply on staging');
    expect(apply).toContain('Apply on staging* ❌');
    expect(apply).toContain('ERROR 55P03');
    expect(apply).toContain(`Lock: waiting for pid ${pid}, reporting-job, idle in transaction for`);
    expect(apply).toMatch(
      /when first seen \(1 attempt gave up after 100 ms, then [0-9.]+ (ms|s) waiting without queueing\)/,
    );
    // The run report keeps the same sentence.
    const md = h.slack.files.find((f) => f.name === 'run-2-report.md')!.content.toString('utf8');
    expect(md).toContain(`Lock: waiting for pid ${pid}, reporting-job, idle in transaction for`);
    expect(latencies.length).toBeGreaterThan(10);
    // Generous for a busy machine, and still far below what queueing behind the blocker would cost (seconds).
    expect(Math.max(...latencies)).toBeLessThan(1000);
    const cols = await query(
      h.targets.staging!,
      "select column_name from information_schema.columns where table_name = 'hot' order by 1",
    );
    expect(cols.map((c) => c.column_name)).toEqual(['id', 'v']);
  });

  it('lands once the blocking transaction ends, saying who it waited for', async () => {
    const holder = new pg.Client({
      connectionString: h.targets.staging!,
      application_name: 'nightly-export',
    });
    await holder.connect();
    await holder.query('begin');
    await holder.query('select count(*) from hot');
    setTimeout(() => void holder.query('commit').then(() => holder.end()), 600);
    await h.slash('002');
    await h.settle();
    const apply = lastPost(h.slack, 'Apply on staging');
    expect(apply).toContain('Apply on staging* ✅');
    expect(apply).toMatch(
      /1 lock retry · one transaction · waiting for pid \d+, nightly-export, idle in transaction/,
    );
    // The thread's lock notice, posted when the first attempt gave up, now says how the wait ended.
    expect(current(h.slack, 'Lock wait on staging')).toContain(
      '✅ Got the lock; the apply went on and succeeded',
    );
    const cols = await query(
      h.targets.staging!,
      "select column_name from information_schema.columns where table_name = 'hot' order by 1",
    );
    expect(cols.map((c) => c.column_name)).toEqual(['extra', 'id', 'v']);
  });
});
