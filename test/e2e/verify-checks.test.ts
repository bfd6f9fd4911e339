/**
 * What a user sees of checks that cannot run as written: several statements in one sql (issue 9, point 6),
 * rows_unchanged outside a run (point 7), and rows_unchanged on table names that need quoting (point 13).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

type Blocks = { type: string; rows?: { text: string }[][] }[];

/** The rows of the checks table in the newest ephemeral answer. */
function tableRows(h: Harness): string[][] {
  const blocks = h.slack.callsTo('response_url').at(-1)!.args.blocks as Blocks;
  return (blocks.find((b) => b.type === 'table')?.rows ?? []).map((r) => r.map((c) => c.text));
}

describe('on-demand verification with the shipped example migrations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ envs: ['staging', 'production'] });
    await h.slash('025_user_behaviors_recent_index');
    await h.settle();
    expect(lastPost(h.slack, 'Verify on production')).toContain('✅');
  });
  afterAll(async () => h?.stop());

  it('shows rows_unchanged as skipped with why, passes a healthy database, and never talks about a run', async () => {
    await h.slash('verify 024 on production');
    await h.settle();
    const answer = ephemerals(h.slack).at(-1)!;
    expect(answer).toContain(
      '*Verification of 024_atomic_user_behavior_updates on production* ✅ · 3/3 pass, 3 skipped',
    );
    const rows = tableRows(h);
    // Checks that write run on command only where deploy.yml allows it (onDemandWrites): not on production.
    for (const name of ['manual call returns the expected JSON', '5 concurrent calls are all counted'])
      expect(rows.find((r) => r[0] === name)?.slice(2, 4)).toEqual([
        'skipped: it writes, and production does not allow writing checks on command (onDemandWrites in deploy.yml)',
        '⏭️',
      ]);
    expect(rows.find((r) => r[0] === 'zero rows lost')).toEqual([
      'zero rows lost',
      'row counts of 3 tables unchanged',
      'skipped: compares with the row counts a deploy takes first',
      '⏭️',
      expect.stringMatching(/^\d+ ms$/),
    ]);
    const everything = [answer, ...rows.flat()].join('\n');
    expect(everything).not.toContain('Roll back');
    expect(everything).not.toMatch(/\brun\b|\bRun #/i);
  });

  it('a failing blocker on command says so, and nothing about a run to hold or roll back', async () => {
    writeFileSync(join(h.migrationsDir, '031_never.sql'), 'select 1;\n');
    writeFileSync(
      join(h.migrationsDir, '031_never.checks.yml'),
      '- { name: never true, sql: "select 1", expect: 2 }\n- { name: zero rows lost, rows_unchanged: true }\n',
    );
    try {
      await h.slash('verify 031 on production');
      await h.settle();
      const answer = ephemerals(h.slack).at(-1)!;
      expect(answer).toContain(
        '*Verification of 031_never on production* ❌ · 0/1 pass, 1 blocker failed, 1 skipped',
      );
      const rows = tableRows(h);
      expect(rows.map((r) => [r[0], r[3]])).toEqual([
        ['Check', 'Status'],
        ['never true', '❌'],
        ['zero rows lost', '⏭️'],
      ]);
      expect(rows[2]![1]).toBe('row counts of every table unchanged');
      expect([answer, ...rows.flat()].join('\n')).not.toMatch(/Roll back|Re-run|\brun\b/i);
    } finally {
      rmSync(join(h.migrationsDir, '031_never.sql'));
      rmSync(join(h.migrationsDir, '031_never.checks.yml'));
    }
  });

  it('the shipped concurrent check sets up and cleans up in one statement each, and leaves nothing behind', async () => {
    for (const env of ['staging', 'production'])
      expect(
        await query(
          h.targets[env]!,
          "select (select count(*) from users where email = 'race@check.invalid')::int as users, (select count(*) from workspaces where name = 'race-check')::int as workspaces",
        ),
      ).toEqual([{ users: 0, workspaces: 0 }]);
  });

  it('refuses a check with several statements before sending any of it', async () => {
    writeFileSync(join(h.migrationsDir, '030_extra.sql'), 'create table extra (id int);\n');
    writeFileSync(
      join(h.migrationsDir, '030_extra.checks.yml'),
      [
        '- { name: read-only holds, sql: "select 1; commit; create table x (id int)", expect: 1 }',
        '- name: racing',
        '  concurrent: { times: 2, sql: "select 1", setup: "select 1; select 2" }',
        '  then: { sql: "select 1", expect: 1 }',
      ].join('\n'),
    );
    try {
      await h.slash('verify 030 on production');
      await h.settle();
      const answer = ephemerals(h.slack).at(-1)!;
      expect(answer).toContain(
        '030_extra.checks.yml[0] `read-only holds`: one statement per sql; found 3. A check sends one statement',
      );
      expect(answer).toContain(
        '030_extra.checks.yml[1] `racing`: one statement per concurrent.setup; found 2.',
      );
      expect(await query(h.targets.production!, "select to_regclass('x') as t")).toEqual([{ t: null }]);

      await h.slash('030_extra');
      await h.settle();
      expect(lastPost(h.slack, 'Preflight on staging')).toContain(
        'Check files are not valid, so nothing was applied: 030_extra.checks.yml[0] `read-only holds`: one statement per sql; found 3.',
      );
      expect(await query(h.targets.staging!, "select to_regclass('extra') as t")).toEqual([{ t: null }]);
    } finally {
      rmSync(join(h.migrationsDir, '030_extra.sql'));
      rmSync(join(h.migrationsDir, '030_extra.checks.yml'));
    }
  });
});

/** The rows of the checks table in the newest "Verify on staging" reply. */
function verifyRows(h: Harness): string[][] {
  const call = h.slack
    .callsTo('chat.postMessage')
    .filter((c) => String(c.args.text).startsWith('Verify on staging'))
    .at(-1)!;
  const table = (call.args.blocks as Blocks).find((b) => b.type === 'table')!;
  return table.rows!.map((r) => r.map((c) => c.text));
}

describe('rows_unchanged: true on tables whose names need quoting', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      migrations: {
        '001_more.sql': 'create table more (id int);\n',
        '001_more.checks.yml': '- { name: zero rows lost, rows_unchanged: true }\n',
      },
    });
  });
  afterAll(async () => h?.stop());

  it('counts "UserEvents" in schema ru before and after, and passes', async () => {
    await query(
      h.targets.staging!,
      'create schema ru; create table ru."UserEvents" (id int); insert into ru."UserEvents" values (1), (2)',
    );
    await h.slash('001_more');
    await h.settle();
    expect(lastPost(h.slack, 'Preflight on staging')).not.toContain('does not exist');
    expect(lastPost(h.slack, 'Verify on staging')).toContain('1/1 pass');
    const row = verifyRows(h)[1]!;
    expect(row[0]).toBe('zero rows lost');
    expect(row[2]).toMatch(/^\d+ unchanged/);
    expect(row[3]).toBe('✅');

    // And a lost row in that table is seen, named as the check would write it.
    writeFileSync(join(h.migrationsDir, '002_trim.sql'), 'delete from ru."UserEvents" where id = 1;\n');
    writeFileSync(
      join(h.migrationsDir, '002_trim.checks.yml'),
      '- { name: zero rows lost, rows_unchanged: true }\n',
    );
    await h.slash('002_trim');
    await h.settle();
    expect(lastPost(h.slack, 'Verify on staging')).toContain('0/1 pass, 1 blocker failed');
    const rows = verifyRows(h);
    expect(rows.find((r) => r[0] === 'zero rows lost')?.[2]).toBe('ru.UserEvents 2 → 1');
  });
});
