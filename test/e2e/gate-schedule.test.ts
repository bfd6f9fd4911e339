import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clock, current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const APPROVAL = 'Approval needed for production';
const MANY = Array.from({ length: 50 }, (_, i) => `U0DBA${String(i).padStart(2, '0')}`);

describe('gates under load and over time', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      migrations: {
        '001_a.sql': 'create table a (id int);\n',
        '002_b.sql': 'create table b (id int);\n',
        '003_c.sql': 'create table c (id int);\n',
        '004_d.sql': 'create table d (id int);\n',
      },
      envYaml: {
        production: `    approvals:
      - { role: dba, usergroup: S0MANY, count: 2 }
    window: { days: [mon, tue, wed, thu, fri, sat, sun], from: "02:00", to: "03:00", timezone: UTC }
    expiresAfter: 1h
    remindEvery: 10m
`,
      },
      usergroups: { S0MANY: MANY },
    });
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  /** Move the bot's clock to the next `HH:MM` UTC after now. */
  const setClockTo = (hhmm: string) => {
    const now = new Date();
    const target = new Date(`${now.toISOString().slice(0, 10)}T${hhmm}:00.000Z`);
    if (target <= now) target.setUTCDate(target.getUTCDate() + 1);
    clock.offsetMs = target.getTime() - now.getTime();
  };

  it('50 concurrent approve clicks on a count: 2 rule: exactly one transition, nothing but "already approved"', async () => {
    setClockTo('02:10'); // inside the window
    await h.slash('001');
    await h.settle();
    const before = ephemerals(h.slack).length;
    const responses = await Promise.all(MANY.map((u) => h.click(APPROVAL, 'gate.approve', u)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    await h.settle();

    const approvals = await query(
      h.stateUrl,
      'select user_id from migration_gate_state.approvals where run_id = 1',
    );
    expect(approvals).toHaveLength(2);
    const satisfied = await query(
      h.stateUrl,
      "select 1 from migration_gate_state.audit_events where run_id = 1 and action = 'gate.satisfied'",
    );
    expect(satisfied).toHaveLength(1);
    const answers = ephemerals(h.slack).slice(before);
    expect(answers).toHaveLength(48);
    for (const a of answers) expect(a).toMatch(/^production is already approved; nothing changed\./);
    const clicks = await query(
      h.stateUrl,
      "select actor from migration_gate_state.audit_events where run_id = 1 and (action = 'gate.approve' or action = 'click.refused')",
    );
    expect(clicks).toHaveLength(50);
    expect(current(h.slack, CARD)).toContain('Succeeded');
    expect(
      await query(
        h.targets.production!,
        "select id from migration_gate.applied_migrations where id = '001_a'",
      ),
    ).toHaveLength(1);
  });

  it('approved outside the window: the gate waits, the card says when, and the tick proceeds once it opens', async () => {
    setClockTo('12:00');
    await h.slash('002');
    await h.settle();
    await h.click(APPROVAL, 'gate.approve', MANY[0]!);
    await h.click(APPROVAL, 'gate.approve', MANY[1]!);
    await h.settle();
    expect(current(h.slack, APPROVAL)).toMatch(
      /Outside the deployment window: proceeds 20\d\d-\d\d-\d\d 02:00 UTC/,
    );
    expect(current(h.slack, CARD)).toMatch(/🕑 approval .* proceeds .* 02:00 UTC/);
    expect(await h.bot.service.tick(clock.now())).toBe(0);
    expect(await query(h.targets.production!, "select to_regclass('b') as t")).toEqual([{ t: null }]);

    clock.offsetMs += 14 * 3_600_000 + 60_000; // 02:01 the next day
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    expect(current(h.slack, CARD)).toContain('Succeeded');
    expect(await query(h.targets.production!, "select to_regclass('b')::text as t")).toEqual([{ t: 'b' }]);
  });

  it('an unanswered gate reminds its approvers with back-off, then expires', async () => {
    setClockTo('02:10');
    await h.slash('003');
    await h.settle();
    const start = clock.offsetMs;
    clock.offsetMs = start + 11 * 60_000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    expect(lastPost(h.slack, '⏰ Reminder')).toContain(
      'run #3 is waiting for approval on production (still needed: dba). <!subteam^S0MANY>',
    );
    clock.offsetMs = start + 15 * 60_000; // the next reminder waits 20 minutes, not 10
    expect(await h.bot.service.tick(clock.now())).toBe(0);
    clock.offsetMs = start + 61 * 60_000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    expect(current(h.slack, CARD)).toContain('Expired: Nobody approved production in time.');
    await h.click(APPROVAL, 'gate.approve', MANY[0]!);
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toMatch(/This run expired at .*: nobody approved it in time\./);
  });

  it('two schedulers ticking at once act on a due gate exactly once', async () => {
    setClockTo('12:00');
    await h.slash('004');
    await h.settle();
    await h.click(APPROVAL, 'gate.approve', MANY[0]!);
    await h.click(APPROVAL, 'gate.approve', MANY[1]!);
    await h.settle();
    clock.offsetMs += 14 * 3_600_000 + 60_000;
    const acted = await Promise.all([h.bot.service.tick(clock.now()), h.bot.service.tick(clock.now())]);
    await h.settle();
    expect(acted.reduce((a, b) => a + b, 0)).toBe(1);
    expect(
      await query(
        h.targets.production!,
        "select id from migration_gate.applied_migrations where id = '004_d'",
      ),
    ).toHaveLength(1);
  });
});
