import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { type MetricSource, metricValue } from '../../src/deploy/metrics.js';
import { judge, parseThreshold, type RawSample } from '../../src/deploy/monitoring.js';
import { unrecorded } from '../../src/target/footprint.js';
import { sampleTarget } from '../../src/target/metrics.js';
import { createTestDatabase, query } from '../support/pg.js';

let url: string;
const SOURCES: MetricSource[] = [
  { kind: 'builtin', metric: 'deadlocks' },
  { kind: 'builtin', metric: 'rollbacks' },
  { kind: 'builtin', metric: 'error_rate' },
  { kind: 'builtin', metric: 'function_mean_ms', function: 'slow_fn' },
  { kind: 'builtin', metric: 'seq_scans' },
  { kind: 'custom', name: 'failures', sql: 'select count(*) from failures' },
];

const sample = (sources = SOURCES, touched: string[] = ['public.accounts']) =>
  sampleTarget({ databaseUrl: url }, unrecorded, sources, touched, () => new Date().toISOString());

/** PostgreSQL publishes a backend's statistics when it goes idle, at most once a second: wait for a change. */
async function until(f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('statistics did not change in time');
}

beforeAll(async () => {
  url = await createTestDatabase('mg_metrics');
  await query(
    url,
    `create table accounts (id int primary key, balance int);
     insert into accounts values (1, 0), (2, 0);
     create table failures (id int);
     create function slow_fn() returns void language plpgsql as $$ begin perform pg_sleep(0.03); end $$;`,
  );
});

describe('metrics from a real server', () => {
  it('deadlocks (two sessions locking rows in opposite order) and rollbacks are counted', async () => {
    const before = await sample();
    const a = new pg.Client({ connectionString: url });
    const b = new pg.Client({ connectionString: url });
    await Promise.all([a.connect(), b.connect()]);
    await a.query('begin; update accounts set balance = 1 where id = 1');
    await b.query('begin; update accounts set balance = 1 where id = 2');
    const results = await Promise.allSettled([
      a.query('update accounts set balance = 2 where id = 2'),
      b.query('update accounts set balance = 2 where id = 1'),
    ]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    await Promise.all([a.query('rollback'), b.query('rollback')]);
    await Promise.all([a.end(), b.end()]);
    let after: RawSample = before;
    await until(async () => {
      after = await sample();
      return metricValue(SOURCES[0]!, before, after).value! >= 1;
    });
    expect(metricValue(SOURCES[0]!, before, after).value).toBe(1);
    expect(metricValue(SOURCES[1]!, before, after).value).toBeGreaterThanOrEqual(2);
    expect(metricValue(SOURCES[2]!, before, after).value).toBeGreaterThan(0);
    const j = judge(
      { key: 'deadlocks', critical: parseThreshold('> 0'), consecutive: 1, rollback: true, dryRun: false },
      1,
      undefined,
      [],
    );
    expect(j.level).toBe('critical');
  });

  it('a slow function breaches function_mean_ms; a custom SQL metric reads one number', async () => {
    const before = await sample();
    await query(url, 'select slow_fn(); select slow_fn(); insert into failures values (1), (2), (3)');
    let after: RawSample = before;
    await until(async () => {
      after = await sample();
      return (metricValue(SOURCES[3]!, before, after).value ?? 0) > 0;
    });
    const mean = metricValue(SOURCES[3]!, before, after).value!;
    expect(mean).toBeGreaterThanOrEqual(30);
    expect(
      judge(
        { key: 'f', warn: parseThreshold('> 15'), consecutive: 1, rollback: false, dryRun: false },
        mean,
        undefined,
        [],
      ).level,
    ).toBe('warn');
    expect(metricValue(SOURCES[5]!, before, after).value).toBe(3);
  });

  it('sequential scans on the tables the migration touched', async () => {
    const before = await sample();
    await query(url, 'select count(*) from accounts where balance > 10');
    let after: RawSample = before;
    await until(async () => {
      after = await sample();
      return (metricValue(SOURCES[4]!, before, after).value ?? 0) > 0;
    });
    expect(metricValue(SOURCES[4]!, before, after).value).toBe(1);
  });

  it('a server without track_functions says which setting to change; a broken custom metric says why', async () => {
    const name = new URL(url).pathname.slice(1);
    await query(url, `alter database ${name} set track_functions = 'none'`);
    try {
      const s = await sample([
        SOURCES[3]!,
        { kind: 'custom', name: 'broken', sql: 'select nope from failures' },
      ]);
      expect(metricValue(SOURCES[3]!, undefined, s).unavailable).toContain(
        "track_functions is 'none' on this server: set track_functions = 'pl'",
      );
      expect(s.unavailable.broken).toContain('42703 column "nope" does not exist');
    } finally {
      await query(url, `alter database ${name} set track_functions = 'all'`);
    }
  });
});

describe('a reading while the bot is still working on the target', () => {
  it('waits, then leaves counter metrics unmeasured with why instead of reporting half-counted figures', async () => {
    const busy = new pg.Client({ connectionString: url, application_name: 'migration-gate-check' });
    await busy.connect();
    try {
      const s = await sampleTarget(
        { databaseUrl: url },
        unrecorded,
        [
          { kind: 'builtin', metric: 'rollbacks' },
          { kind: 'builtin', metric: 'lock_waits' },
        ],
        [],
        () => new Date().toISOString(),
        { waitMs: 300 },
      );
      expect(s.unavailable.rollbacks).toContain("the bot's own session on this database was still open");
      expect(s.unavailable.lock_waits).toBeUndefined();
      expect(s.gauges.lock_waits).toBe(0);
    } finally {
      await busy.end();
    }
    const free = await sample([{ kind: 'builtin', metric: 'rollbacks' }], []);
    expect(free.unavailable.rollbacks).toBeUndefined();
  });
});
