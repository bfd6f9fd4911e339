/**
 * The bot's own work on a target never shows in the figures it reports about that target: verification (read-only,
 * writing and concurrent checks), on-demand verification, preflight, apply and the sampling itself.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clock, current, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const MIN = 60_000;

const MONITORING = `monitoring:
  plans:
    three: [{ every: 1m, for: 3m }]
  metrics:
    - { metric: error_rate, critical: "> 1%" }
    - { metric: rollbacks, warn: "> 100" }
    - { metric: query_calls, warn: "> 100000" }
    - { metric: mean_query_ms, warn: "> 10000" }
    - { metric: seq_scans, warn: "> 100000" }
    - { metric: function_calls, function: bump, warn: "> 100000" }
    - { metric: function_mean_ms, function: bump, warn: "> 10000" }
    - { name: events_total, sql: "select count(*) from events", warn: "> 100000" }
`;

const CHECKS = `- { name: events table exists, table: events }
- { name: no events yet, sql: "select count(*) from events", expect: 0 }
- { name: bump answers, sql: "select bump(1)", expect: 1 }
- { name: bump as a plain role, as: { role: mg_fp_reader }, sql: "select bump(3)", expect: 1 }
- { name: a write is rolled back, writes: true, sql: "insert into events values (99) returning id", expect: 99 }
- name: five concurrent bumps
  concurrent: { times: 5, sql: "select bump(2)" }
  then: { sql: "select count(*) from events", expect: 0 }
`;

/** The figure a metric shows in the monitoring message ("*error_rate* 5.00%"), or its quiet/unavailable text. */
function figure(text: string, key: string): string {
  const line = text.split('\n').find((l) => l.includes(`*${key}*`));
  if (!line) throw new Error(`no line for ${key} in:\n${text}`);
  return line.slice(line.indexOf(`*${key}*`) + key.length + 2).trim();
}

describe("the bot's own work is invisible to monitoring", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      topYaml: MONITORING,
      migrations: {
        '001_events.sql':
          'create table events (id int);\ncreate function bump(n int) returns int language plpgsql as $$ begin return n / n; end $$;\n',
        '001_events.checks.yml': CHECKS,
      },
      envYaml: { staging: '    monitor: three\n' },
    });
    await query(h.targets.staging!, 'create extension if not exists pg_stat_statements');
    // A role with no right to read or flush statistics beyond its own (checks may run `as` such a role).
    await query(
      h.targets.staging!,
      "do $$ begin if not exists (select from pg_roles where rolname = 'mg_fp_reader') then create role mg_fp_reader; end if; end $$",
    );
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  it('no application traffic: every counter reads 0 after verify, on-demand verify and a checkpoint', async () => {
    await h.slash('001');
    await h.settle();
    expect(current(h.slack, 'Verify on staging')).toContain('6/6 pass');
    await h.slash('verify 001 on staging');
    await h.settle();

    clock.offsetMs = MIN + 5000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    let text = current(h.slack, 'Monitoring staging');
    expect(figure(text, 'error_rate')).toMatch(/^0(\.0+)? ?%/);
    expect(figure(text, 'rollbacks')).toMatch(/^0\b/);
    expect(figure(text, 'query_calls')).toMatch(/^0\b/);
    expect(figure(text, 'seq_scans')).toMatch(/^0\b/);
    expect(figure(text, 'function_calls(bump)')).toMatch(/^0\b/);
    expect(figure(text, 'mean_query_ms')).toContain('no statements in the interval');
    expect(figure(text, 'function_mean_ms(bump)')).toContain('no calls to bump in the interval');

    // A second checkpoint, with nothing but the bot's own first checkpoint and a second verify in between.
    await h.slash('verify 001 on staging');
    await h.settle();
    clock.offsetMs = 2 * MIN + 5000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    text = current(h.slack, 'Monitoring staging');
    expect(text).toMatch(/2\/3 checkpoints/);
    expect(figure(text, 'error_rate')).toMatch(/^0(\.0+)? ?%/);
    expect(figure(text, 'rollbacks')).toMatch(/^0\b/);
    expect(figure(text, 'query_calls')).toMatch(/^0\b/);
    expect(figure(text, 'seq_scans')).toMatch(/^0\b/);
    expect(figure(text, 'function_calls(bump)')).toMatch(/^0\b/);

    // Not a clamped 0: the stored counters (the server's minus the bot's footprint) did not move at all.
    const samples = await query<{ sample: { counters: Record<string, number> } }>(
      h.stateUrl,
      "select sample from migration_gate_state.checkpoints where run_id = 1 and status = 'done' order by due_at",
    );
    expect(samples).toHaveLength(2);
    const [a, b] = samples.map((x) => x.sample.counters);
    for (const k of ['db.rollback', 'pgss.calls', 'tables.seq_scan', 'fn.bump.calls'])
      expect({ k, moved: b![k]! - a![k]! }).toEqual({ k, moved: 0 });
    expect(b!['db.commit']! - a!['db.commit']!).toBeGreaterThanOrEqual(0);
  });

  it('a known application load: 200 transactions, 10 rolled back, reads error_rate 5 % while the bot verifies too', async () => {
    await h.slash('verify 001 on staging');
    await h.settle();
    // The application: one connection (its startup is one committed transaction), 189 committed statements and
    // 10 transactions rolled back: 200 transactions in all, 219 statements (BEGIN, INSERT, ROLLBACK count 3).
    const app = new pg.Client({ connectionString: h.targets.staging, application_name: 'the-app' });
    await app.connect();
    for (let i = 0; i < 189; i++) await app.query('insert into events values ($1)', [i]);
    for (let i = 0; i < 10; i++) {
      await app.query('begin');
      await app.query('select bump(1)');
      await app.query('rollback');
    }
    await app.end();
    await h.slash('verify 001 on staging');
    await h.settle();

    clock.offsetMs = 3 * MIN + 5000;
    expect(await h.bot.service.tick(clock.now())).toBe(1);
    await h.settle();
    const text = current(h.slack, 'Monitoring staging');
    expect(figure(text, 'error_rate')).toMatch(/^5(\.0+)? ?%/);
    expect(figure(text, 'rollbacks')).toMatch(/^10\b/);
    expect(figure(text, 'query_calls')).toMatch(/^219\b/);
    expect(figure(text, 'function_calls(bump)')).toMatch(/^10\b/);
  });
});
