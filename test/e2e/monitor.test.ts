import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clock, current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const MIN = 60_000;

const MONITORING = `monitoring:
  plans:
    five: [{ every: 1m, for: 5m }]
  metrics:
    - { metric: deadlocks, critical: "> 0" }
    - { metric: function_mean_ms, function: slow_fn, warn: "> 15" }
    - { name: shield_failures, sql: "select count(*) from shield_failures", critical: "> 0", rollback: true }
    - { name: queue_depth, sql: "select count(*) from queue_items", critical: "> 5" }
  oncall: S0ONCALL
`;

const counts = (h: Harness, run: number) =>
  query<{ status: string; n: number }>(
    h.stateUrl,
    `select status, count(*)::int as n from migration_gate_state.checkpoints where run_id = ${run} group by status order by status`,
  );

describe('monitoring checkpoints', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      topYaml: MONITORING,
      migrations: {
        '001_shield.sql':
          'create table shield_failures (id int);\ncreate table queue_items (id int);\ncreate function slow_fn() returns void language plpgsql as $$ begin perform pg_sleep(0.02); end $$;\n',
        '001_shield.down.sql': 'drop function slow_fn();\ndrop table shield_failures;\n',
        '002_more.sql': 'create table more (id int);\n',
        '002_more.down.sql': 'drop table more;\n',
      },
      envYaml: { staging: '    monitor: five\n    autoRollback: true\n' },
      usergroups: { S0ONCALL: ['U0ONCALL'] },
    });
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  it('a durable schedule: stopped mid-plan, overdue checkpoints run once; two schedulers take each exactly once', async () => {
    await h.slash('001');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/👀 monitor 0\/5 checkpoints · next \d\d:\d\d UTC/);
    expect(current(h.slack, 'Monitoring staging')).toContain('The first checkpoint is still to come.');

    clock.offsetMs = MIN + 5000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    expect(current(h.slack, 'Monitoring staging')).toMatch(/1\/5 checkpoints/);
    expect(current(h.slack, 'Monitoring staging')).toMatch(/✅ \*deadlocks\* 0 \(critical &gt; 0\)/);

    // the bot stops; three more checkpoints fall due while it is down
    h = await h.restart();
    clock.offsetMs = 4 * MIN + 5000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    expect(await counts(h, 1)).toEqual([
      { status: 'done', n: 2 },
      { status: 'missed', n: 2 },
      { status: 'pending', n: 1 },
    ]);
    expect(await h.bot.service.tick(clock.now())).toBe(0);

    clock.offsetMs = 5 * MIN + 5000;
    const acted = await Promise.all([h.bot.service.tick(clock.now()), h.bot.service.tick(clock.now())]);
    await h.settle();
    expect(acted[0]! + acted[1]!).toBe(1);
    expect(await counts(h, 1)).toEqual([
      { status: 'done', n: 3 },
      { status: 'missed', n: 2 },
    ]);
    expect(current(h.slack, CARD)).toContain('Succeeded');
    expect(current(h.slack, CARD)).toMatch(/✅ monitor 5\/5 checkpoints, 2 missed/);
  });

  it('checkpoint on command: shown to the asker, alerts nobody, one a minute; the planned one warns in the thread', async () => {
    await h.slash('002');
    await h.settle();
    await query(h.targets.staging!, 'select slow_fn(); select slow_fn()');
    await new Promise((r) => setTimeout(r, 1200)); // PostgreSQL publishes function stats within a second
    const warnings = () =>
      h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Warning on staging'));
    const before = warnings().length;
    await h.slash('checkpoint #2');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toMatch(
      /⚠️ \*function_mean_ms\(slow_fn\)\* \d+(\.\d+)? ms \(warn &gt; 15\)/,
    );
    expect(warnings()).toHaveLength(before);
    await h.slash('checkpoint #2');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toMatch(
      /A checkpoint of run #2 was taken on command at \d\d:\d\d:\d\d UTC; take the next one from \d\d:\d\d:\d\d UTC \(one a minute\)/,
    );
    await h.slash('checkpoint #2', 'U0OUTSIDER');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain(
      'Only <@U0REQUESTER> (who requested run #2), an approver for staging or on-call can take a checkpoint of run #2.',
    );

    await query(h.targets.staging!, 'select slow_fn()');
    await new Promise((r) => setTimeout(r, 1200));
    clock.offsetMs = MIN + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
    expect(warnings()).toHaveLength(before + 1);
    expect(String(warnings().at(-1)!.args.reply_broadcast)).not.toBe('true');
    await h.slash('watch #2');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('Monitoring staging');
    await h.slash('cancel #2');
    await h.settle();
  });

  it('a critical alert without a rollback trigger offers Roll back, Acknowledge and Keep watching to on-call', async () => {
    // 002 went in with run #2 (cancel keeps it): take it out so this run has something to apply and watch.
    await query(h.targets.staging!, 'delete from migration_gate.applied_migrations where id = $1', [
      '002_more',
    ]);
    await query(h.targets.staging!, 'drop table more');
    await h.slash('002');
    await h.settle();
    await query(h.targets.staging!, 'insert into queue_items select generate_series(1, 9)');
    clock.offsetMs = MIN + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
    const alert = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).startsWith('Critical on staging'))
      .at(-1)!;
    expect(String(alert.args.text)).toContain('queue_depth 9');
    expect(JSON.stringify(alert.args.blocks)).toContain('<!subteam^S0ONCALL>');
    for (const who of ['U0OUTSIDER', 'U0REQUESTER']) {
      await h.click('Critical on staging', 'alert.ack', who);
      await h.settle();
      expect(ephemerals(h.slack).at(-1)).toContain(
        "Only staging's approvers or on-call can answer alerts on staging.",
      );
    }
    await h.click('Critical on staging', 'alert.keep', 'U0ONCALL');
    await h.settle();
    expect(current(h.slack, 'Critical on staging')).toContain('👀 <@U0ONCALL> chose to keep watching.');
    await h.click('Critical on staging', 'alert.ack', 'U0ONCALL');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('Already acknowledged by <@U0ONCALL>; nothing changed.');
    await query(h.targets.staging!, 'delete from queue_items');
    await h.slash('cancel #3');
    await h.settle();
    expect(current(h.slack, CARD)).toContain('Cancelled by <@U0REQUESTER>');
  });

  it('a metric the server cannot provide gives a clear warning in the thread, and watching goes on', async () => {
    const db = new URL(h.targets.staging!).pathname.slice(1);
    await query(h.targets.staging!, `alter database ${db} set track_functions = 'none'`);
    try {
      await query(h.targets.staging!, 'delete from migration_gate.applied_migrations where id = $1', [
        '002_more',
      ]);
      await query(h.targets.staging!, 'drop table more');
      await h.slash('002');
      await h.settle();
      await h.slash('checkpoint #4');
      await h.settle();
      expect(lastPost(h.slack, 'Some metrics cannot be measured on staging')).toContain(
        "function_mean_ms(slow_fn)* cannot be measured on staging: track_functions is 'none' on this server: set track_functions = 'pl'",
      );
      expect(current(h.slack, CARD)).toMatch(/👀 monitor/);
      await h.slash('cancel #4');
      await h.settle();
    } finally {
      await query(h.targets.staging!, `alter database ${db} set track_functions = 'all'`);
    }
  });

  it('a critical rollback: true metric with autoRollback rolls back; the channel gets a broadcast mentioning on-call', async () => {
    await query(h.targets.staging!, 'delete from migration_gate.applied_migrations where id = $1', [
      '002_more',
    ]);
    await query(h.targets.staging!, 'drop table more');
    await h.slash('002');
    await h.settle();
    await query(h.targets.staging!, 'insert into shield_failures values (1)');
    clock.offsetMs = MIN + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
    const alert = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).startsWith('Critical on staging'))
      .at(-1)!;
    expect(String(alert.args.reply_broadcast)).toBe('true');
    expect(JSON.stringify(alert.args.blocks)).toContain('<!subteam^S0ONCALL>');
    expect(JSON.stringify(alert.args.blocks)).toContain('rolling back now');
    expect(current(h.slack, CARD)).toContain(
      'Rolled back automatically: shield_failures 1 crossed its critical line (&gt; 0',
    );
    expect(lastPost(h.slack, 'Rollback on staging')).toContain('`002_more.down.sql`');
    expect(await query(h.targets.staging!, "select to_regclass('more') as t")).toEqual([{ t: null }]);
    expect(
      await query(
        h.targets.staging!,
        "select id from migration_gate.rolled_back_migrations where id = '002_more'",
      ),
    ).toHaveLength(1);
  });
});
