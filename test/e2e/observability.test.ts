/**
 * Issue 15.3: the bot's own metrics, scraped over HTTP as Prometheus would while a run goes staging → gate →
 * production → monitoring, parsed from the text; /healthz with a target that is down; log lines about a run
 * carry its id and step; over Socket Mode the same routes answer on PORT.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { sendSlashCommand } from '../../src/sandbox/sign.js';
import { clock, current, type Harness, lastPost, SIGNING_SECRET, startHarness } from '../support/harness.js';
import { type Scrape, scrape } from '../support/prom-text.js';

const MIN = 60_000;
const P = 'migration_gate_';
const GATE = `    approvals:
      - { role: dba, usergroup: S0DBA, count: 1 }
    monitor: four
`;
const MONITORING = `monitoring:
  plans:
    four: [{ every: 1m, for: 4m }]
  metrics:
    - { metric: deadlocks, critical: "> 0" }
`;
const CARD = /^Run #\d+ · /;
const OUTSIDE = 'C0NOTINVITED';

describe('GET /metrics during a run (HTTP mode)', () => {
  let h: Harness;
  let s: Scrape;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: GATE },
      topYaml: MONITORING,
      usergroups: { S0DBA: ['U0DBA1'] },
      notInChannel: [OUTSIDE],
      migrations: {
        '001_t.sql': 'create table t (id int);\n',
        '002_x.sql': 'alter table t add column x int;\n',
      },
    });
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  it('is Prometheus text with every metric typed, and counts nothing before anything happened', async () => {
    expect(h.bot.opsUrl).toBe(h.bot.url);
    s = await scrape(h.bot.opsUrl);
    expect(Object.fromEntries([...s.types].filter(([n]) => n.startsWith(P)))).toEqual({
      [`${P}runs_started_total`]: 'counter',
      [`${P}runs_ended_total`]: 'counter',
      [`${P}step_duration_seconds`]: 'histogram',
      [`${P}gate_wait_seconds`]: 'histogram',
      [`${P}lock_retries_total`]: 'counter',
      [`${P}checkpoints_total`]: 'counter',
      [`${P}checkpoints_late_total`]: 'counter',
      [`${P}checkpoint_delay_seconds`]: 'histogram',
      [`${P}slack_api_errors_total`]: 'counter',
      [`${P}scheduler_tick_duration_seconds`]: 'histogram',
      [`${P}store_up`]: 'gauge',
      [`${P}runs`]: 'gauge',
    });
    expect(s.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(s.sum(`${P}runs_started_total`)).toBe(0);
    expect(s.sum(`${P}store_up`)).toBe(1);
    expect(s.samples.filter((x) => x.name === `${P}runs`)).toEqual([]);
  });

  it('counts a run through the gate, its steps, the gate wait, checkpoints taken, missed and late, and ticks', async () => {
    await h.slash('001');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/⏸ approval/);
    s = await scrape(h.bot.opsUrl);
    expect(s.sum(`${P}runs_started_total`)).toBe(1);
    expect(s.sum(`${P}runs`, { status: 'running' })).toBe(1);
    for (const step of ['preflight', 'apply', 'verify'])
      expect(
        s.sum(`${P}step_duration_seconds_count`, { step, environment: 'staging', outcome: 'succeeded' }),
      ).toBe(1);
    expect(s.sum(`${P}step_duration_seconds_count`, { environment: 'production' })).toBe(1);
    expect(s.sum(`${P}gate_wait_seconds_count`)).toBe(0);
    expect(s.sum(`${P}runs_ended_total`)).toBe(0);

    expect((await h.click('Approval needed for production', 'gate.approve', 'U0DBA1')).status).toBe(200);
    await h.settle();
    s = await scrape(h.bot.opsUrl);
    expect(
      s.sum(`${P}gate_wait_seconds_count`, {
        environment: 'production',
        purpose: 'deploy',
        outcome: 'approved',
      }),
    ).toBe(1);
    expect(s.sum(`${P}gate_wait_seconds_bucket`, { environment: 'production', le: '+Inf' })).toBe(1);
    expect(
      s.sum(`${P}step_duration_seconds_count`, {
        step: 'apply',
        environment: 'production',
        outcome: 'succeeded',
      }),
    ).toBe(1);
    expect(s.sum(`${P}runs`, { status: 'running' })).toBe(1); // watching production

    // Checkpoints due at 1, 2, 3 and 4 minutes: taken at 1¼ (on time), 2 passed over for 3 at 3.1, 4 taken at 6.
    for (const at of [1.25, 3.1, 6]) {
      clock.offsetMs = at * MIN;
      await h.bot.service.tick(clock.now());
      await h.settle();
    }
    s = await scrape(h.bot.opsUrl);
    expect(s.sum(`${P}checkpoints_total`, { environment: 'production', outcome: 'taken' })).toBe(3);
    expect(s.sum(`${P}checkpoints_total`, { environment: 'production', outcome: 'missed' })).toBe(1);
    expect(s.sum(`${P}checkpoints_late_total`, { environment: 'production' })).toBe(1);
    expect(s.sum(`${P}checkpoint_delay_seconds_count`, { environment: 'production' })).toBe(3);
    expect(s.sum(`${P}checkpoint_delay_seconds_bucket`, { environment: 'production', le: '60' })).toBe(2);
    expect(s.sum(`${P}scheduler_tick_duration_seconds_count`, { outcome: 'ok' })).toBe(3);
    expect(current(h.slack, CARD)).toContain('Succeeded');
    expect(
      s.sum(`${P}step_duration_seconds_count`, {
        step: 'monitor',
        environment: 'production',
        outcome: 'succeeded',
      }),
    ).toBe(1);
    // The monitor step lasted from its start until its last checkpoint, six minutes of the bot's clock later.
    expect(s.sum(`${P}step_duration_seconds_sum`, { step: 'monitor' })).toBeGreaterThan(5 * 60);
    expect(s.sum(`${P}runs_ended_total`, { status: 'succeeded' })).toBe(1);
    expect(s.sum(`${P}runs`, { status: 'succeeded' })).toBe(1);
    expect(s.sum(`${P}runs`, { status: 'running' })).toBe(0);
    expect(s.sum(`${P}lock_retries_total`)).toBe(0);
    expect(s.sum(`${P}slack_api_errors_total`)).toBe(0);
  });

  it('counts lock retries as the apply reply reports them, and a cancelled gate', async () => {
    // Someone holds a lock on t: the apply's ALTER waits out its lock timeout and retries until it is let go.
    const holder = new pg.Client({ connectionString: h.targets.staging });
    await holder.connect();
    await holder.query('begin');
    await holder.query('lock table t in access share mode');
    await h.slash('002');
    // Let go once the apply's first attempt has waited for the lock and given up: the next attempt is a retry.
    // Looked at from another session: inside the holder's transaction pg_stat_activity stays as first read.
    const looker = new pg.Client({ connectionString: h.targets.staging });
    await looker.connect();
    const waiting = async () =>
      !!(
        await looker.query(
          "select 1 from pg_stat_activity where wait_event_type = 'Lock' and application_name like 'migration-gate%'",
        )
      ).rowCount;
    // The first attempt may wait only 100 ms: look without pausing (each look is one round trip).
    for (const want of [true, false]) {
      const until = Date.now() + 20_000;
      while ((await waiting()) !== want && Date.now() < until);
    }
    await holder.query('commit');
    await Promise.all([holder.end(), looker.end()]);
    await h.settle();
    const reply = lastPost(h.slack, 'Apply on staging');
    const retries = Number(/(\d+) lock retr(?:y|ies)/.exec(reply)?.[1]);
    expect(retries).toBeGreaterThan(0);
    s = await scrape(h.bot.opsUrl);
    expect(s.sum(`${P}lock_retries_total`, { environment: 'staging' })).toBe(retries);

    await h.slash('cancel #2');
    await h.settle();
    s = await scrape(h.bot.opsUrl);
    expect(s.sum(`${P}gate_wait_seconds_count`, { outcome: 'cancelled' })).toBe(1);
    expect(s.sum(`${P}runs_ended_total`, { status: 'cancelled' })).toBe(1);
    expect(s.sum(`${P}runs`, { status: 'cancelled' })).toBe(1);
    expect(s.sum(`${P}runs_started_total`)).toBe(2);
  });

  it("counts a Slack API call Slack refused, by method and Slack's error", async () => {
    await sendSlashCommand(h.bot.url!, SIGNING_SECRET, {
      command: '/deploy-migration',
      text: '002',
      user_id: 'U0REQUESTER',
      channel_id: OUTSIDE,
      response_url: h.slack.responseUrl('U0REQUESTER', OUTSIDE),
    });
    await h.settle();
    s = await scrape(h.bot.opsUrl);
    expect(s.sum(`${P}slack_api_errors_total`, { method: 'chat.postMessage', error: 'not_in_channel' })).toBe(
      1,
    );
    expect(s.sum(`${P}runs_started_total`)).toBe(2); // that run never began
  });

  it('every log line about a run carries its id, and the step while a step works', () => {
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = lines.filter((l) =>
      / on (staging|production) (started|succeeded|failed)$/.test(String(l.msg)),
    );
    expect(steps.length).toBeGreaterThanOrEqual(16);
    for (const l of steps) {
      expect(l.runId, String(l.msg)).toEqual(expect.any(Number));
      expect(l.step, String(l.msg)).toEqual(expect.any(Number));
      expect(String(l.msg).startsWith(String(l.stepName))).toBe(true);
    }
    const ended = lines.filter((l) => l.msg === 'run ended');
    expect(ended.map((l) => [l.runId, l.status])).toEqual([
      [1, 'succeeded'],
      [2, 'cancelled'],
    ]);
  });
});

describe('GET /healthz', () => {
  let h: Harness;
  let closed: string;
  beforeAll(async () => {
    // Nothing listens on this port: production is down.
    closed = `postgres://mg_health_user:pw-4321@127.0.0.1:${await freePort()}/mg_prod_health_db`;
    h = await startHarness({ envs: ['staging', 'production'], targetUrls: { production: closed } });
  });
  afterAll(async () => h?.stop());

  it('says which environment is unreachable (503), naming no host, port, user or database', async () => {
    const res = await fetch(`${h.bot.opsUrl}/healthz`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      ok: false,
      mode: 'http',
      store: { ok: true },
      environments: { staging: { ok: true }, production: { ok: false, problem: 'refused' } },
    });
    for (const part of ['127.0.0.1', new URL(closed).port, 'mg_health_user', 'pw-4321', 'mg_prod_health_db'])
      expect(text).not.toContain(part);
    // The process itself is fine: /livez is for a liveness probe.
    expect((await fetch(`${h.bot.opsUrl}/livez`)).status).toBe(200);
  });

  it('a run that reaches the down target logs the failure with the run id and the step', async () => {
    await h.slash('001_initial_schema');
    await h.settle();
    const lines = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const failed = lines.find((l) => /production: could not work on the database/.test(String(l.msg)));
    expect(failed).toMatchObject({ runId: 1, step: 3, stepName: 'preflight', env: 'production' });
    expect(lines.find((l) => l.msg === 'preflight on production failed')).toMatchObject({
      runId: 1,
      step: 3,
    });
  });
});

describe('GET /metrics and /healthz in Socket Mode', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ socket: true });
  });
  afterAll(async () => h?.stop());

  it('answer on PORT (a server of their own: there is no Slack listener), and count what arrived over the socket', async () => {
    expect(h.bot.mode).toBe('socket');
    expect(h.bot.url).toBeUndefined();
    expect((await fetch(`${h.bot.opsUrl}/healthz`)).status).toBe(200);
    await h.slash('001_initial_schema');
    await h.settle();
    const s = await scrape(h.bot.opsUrl);
    expect(s.sum(`${P}runs_started_total`)).toBe(1);
    expect(s.sum(`${P}runs_ended_total`, { status: 'succeeded' })).toBe(1);
    expect((await fetch(`${h.bot.opsUrl}/slack/events`, { method: 'POST' })).status).toBe(404);
  });
});
