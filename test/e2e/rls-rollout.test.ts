/**
 * The RLS rollout of issue 14, driven from examples/rls-rollout as it is (its deploy.yml and its three services'
 * folders): three databases per environment, each service's /health checked at verify, technical → business →
 * go/no-go approved in order inside the off-peak window, a webhook received and the pull request merged in a
 * stand-in for GitHub; then a second release whose community error rate (Prometheus, 5 checkpoints in a row over
 * 5 %) rolls back every service the run changed on production. Real PostgreSQL, three real HTTP services with
 * prom-client /metrics, Debian's Prometheus scraping them, the real bot over signed HTTP.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeGitHub,
  type Receiver,
  signatureValid,
  startFakeGitHub,
  startReceiver,
} from '../support/after-servers.js';
import { type AppService, startAppService } from '../support/app-service.js';
import { clock, current, type Harness, lastPost, startHarness } from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';
import { hasPrometheus, type Prometheus, startPrometheus } from '../support/prometheus.js';

const SERVICES = ['community', 'marketplace', 'academy'] as const;
const ENVS = ['staging', 'production'] as const;
const SECRET = 'whsec-rls-rollout-5e2a';
const TOKEN = 'ghp_rlsRolloutToken0123456789';
const CARD = /^Run #\d+ · /;
const MIN = 60_000;
const TECHNICAL = 'Approval needed for production · stage 1 of 3: technical';
const BUSINESS = 'Approval needed for production · stage 2 of 3: business';
const GO = 'Approval needed for production · stage 3 of 3: go/no-go';
const upper = (s: string) => s.toUpperCase();

// Only a machine without Debian's prometheus package skips this (apt-get install -y prometheus; CI installs it).
describe.skipIf(!hasPrometheus)('the RLS rollout of three services (examples/rls-rollout)', () => {
  let h: Harness;
  const apps = {} as Record<(typeof SERVICES)[number], AppService>;
  let prometheus: Prometheus;
  let hook: Receiver;
  let github: FakeGitHub;
  const dbs: Record<string, string> = {};

  beforeAll(async () => {
    for (const s of SERVICES) apps[s] = await startAppService();
    prometheus = await startPrometheus(
      SERVICES.map((s) => `127.0.0.1:${apps[s].port}`),
      SERVICES.map((service) => ({ service })),
    );
    hook = await startReceiver([200, 200, 200, 200]);
    github = await startFakeGitHub(TOKEN, { 'acme/platform#1402': { head: { sha: 'abc1234' } } });
    const extraEnv: Record<string, string> = {
      STAGING_PROMETHEUS_URL: prometheus.url,
      PRODUCTION_PROMETHEUS_URL: prometheus.url,
      RELEASE_HOOK_URL: `${hook.url}/hooks/release`,
      RELEASE_HOOK_SECRET: SECRET,
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: github.url,
    };
    for (const e of ENVS)
      for (const s of SERVICES) {
        dbs[`${e}/${s}`] = await createTestDatabase(`mg_rls_${e}_${s}`);
        extraEnv[`${upper(s)}_${upper(e)}_DATABASE_URL`] = dbs[`${e}/${s}`]!;
        extraEnv[`${upper(s)}_${upper(e)}_URL`] = apps[s].url;
      }
    h = await startHarness({
      project: join(import.meta.dirname, '../../examples/rls-rollout'),
      usergroups: { S01DBA: ['U01DBA'], S01ONCALL: ['U01ONCALL'] },
      extraEnv,
    });
  });
  afterAll(async () => {
    await h?.stop();
    await prometheus?.stop();
    await hook?.close();
    await github?.close();
    for (const s of SERVICES) await apps[s]?.close();
    clock.offsetMs = 0;
  });

  /** Set the bot's clock to `iso`. */
  const at = (iso: string) => {
    clock.offsetMs = Date.parse(iso) - Date.now();
  };
  const later = (ms: number) => {
    clock.offsetMs += ms;
  };
  /** Healthy traffic on every service, scraped, then the scheduler's tick at the bot's time. */
  async function tick(traffic = true) {
    if (traffic) {
      for (const s of SERVICES) apps[s].record(200, 50, 0.03);
      const total = await prometheus.value('sum(app_http_requests_total)');
      await prometheus.waitFor('sum(app_http_requests_total)', (v) => v > (total ?? 0));
    }
    await h.bot.service.tick(clock.now());
    await h.settle();
  }
  async function approve(prefix: string, ...users: string[]) {
    for (const u of users) {
      expect((await h.click(prefix, 'gate.approve', u)).status).toBe(200);
      await h.settle();
    }
  }
  const tables = async (key: string) =>
    (
      await query<{ t: string }>(
        dbs[key]!,
        "select tablename as t from pg_tables where schemaname = 'public'",
      )
    ).map((r) => r.t);
  const cards = (prefix: string) =>
    h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text ?? '').startsWith(prefix));

  /** Staging's monitors: one checkpoint, then past the plan's end (the rest are missed, monitoring ends). */
  async function throughStaging() {
    later(MIN + 5000);
    await tick();
    later(10 * MIN);
    await tick();
  }

  it('release: staging, then production through its three stages in order; the webhook and the merge', async () => {
    at('2026-11-24T03:00:00Z'); // a Tuesday, inside production's 02:00–05:00 window
    await h.slash('release');
    await h.settle();
    let card = current(h.slack, CARD);
    for (const s of SERVICES)
      expect(card).toMatch(new RegExp(`↳ \\*${s}:\\*\\s+✅ preflight .*✅ apply .*✅ verify .*👀 monitor`));
    for (const s of SERVICES) expect(lastPost(h.slack, `Verify on staging · ${s}`)).toMatch(/3\/3 pass/);
    for (const s of SERVICES) expect(apps[s].hits['/health']).toBeGreaterThanOrEqual(1);
    for (const s of SERVICES) expect((await tables(`staging/${s}`)).length).toBe(1);

    await throughStaging();
    card = current(h.slack, CARD);
    expect(card).toMatch(/↳ \*academy:\*.*✅ monitor/);
    expect(card).toMatch(/production:\*\s+⏸ approval: technical/);
    expect(current(h.slack, TECHNICAL)).toMatch(/community\/001_posts_rls/);
    expect(current(h.slack, TECHNICAL)).toMatch(/academy\/001_courses_rls/);
    expect(cards(BUSINESS)).toHaveLength(0);

    await approve(TECHNICAL, 'U01DBA', 'U01OPS', 'U01QA');
    expect(cards(BUSINESS)).toHaveLength(1);
    expect(cards(GO)).toHaveLength(0);
    // One person counts in one stage only.
    await approve(BUSINESS, 'U01DBA');
    expect(cards(GO)).toHaveLength(0);
    await approve(BUSINESS, 'U01PM');
    await approve(GO, 'U01LEAD');
    for (const s of SERVICES) expect((await tables(`production/${s}`)).length).toBe(1);

    later(MIN + 5000);
    await tick();
    later(2 * 60 * MIN);
    await tick();
    // after: the webhook (on: always), then the merge behind its gate (the first stage's rules).
    expect(hook.received).toHaveLength(1);
    expect(signatureValid(hook.received[0]!, SECRET)).toBe(true);
    const payload = JSON.parse(hook.received[0]!.body);
    expect(payload.outcome).toBe('succeeded');
    expect(payload.files).toEqual([
      'community/001_posts_rls',
      'marketplace/001_listings_rls',
      'academy/001_courses_rls',
    ]);
    await approve('Approval needed: merge acme/platform#1402', 'U01DBA', 'U01OPS', 'U01QA');
    // Approved after 05:00: the merge waits for the next window (Wednesday 02:00), then goes.
    expect(current(h.slack, CARD)).toMatch(
      /🕑 approval: merge acme\/platform#1402 .* proceeds 2026-11-25 02:00 UTC/,
    );
    expect(github.received).toHaveLength(0);
    at('2026-11-25T02:00:05Z');
    await tick(false);
    expect(github.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/platform/pulls/1402',
      'PUT /repos/acme/platform/pulls/1402/merge',
    ]);
    expect(current(h.slack, CARD)).toContain('Succeeded');
    const all = JSON.stringify(h.slack.calls);
    for (const u of [apps.community.url, prometheus.url, hook.url, github.url])
      expect(all).not.toContain(new URL(u).host);
  });

  it('a community error rate over 5 % for 5 checkpoints rolls back every service the run changed', async () => {
    for (const s of SERVICES)
      writeFileSync(
        join(h.dir, 'services', s, `002_${s}_audit.sql`),
        `create table ${s}_audit (id int primary key);\n`,
      );
    for (const s of SERVICES)
      writeFileSync(join(h.dir, 'services', s, `002_${s}_audit.down.sql`), `drop table ${s}_audit;\n`);
    at('2026-11-26T03:00:00Z'); // a Thursday, inside the window
    await h.slash('release');
    await h.settle();
    await throughStaging();
    await approve(TECHNICAL, 'U01DBA', 'U01OPS', 'U01QA');
    await approve(BUSINESS, 'U01PM');
    await approve(GO, 'U01LEAD');
    for (const s of SERVICES) expect(await tables(`production/${s}`)).toContain(`${s}_audit`);

    // community starts failing: 200 errors beside the healthy traffic of the last five minutes.
    apps.community.record(500, 200, 0.03);
    await prometheus.waitFor('sum(app_http_requests_total{service="community",code="500"})', (v) => v >= 200);
    for (let k = 1; k <= 4; k++) {
      later(MIN);
      await tick(false);
      expect(current(h.slack, 'Monitoring production · community')).toMatch(/🔴 \*community_error_rate\*/);
    }
    expect(current(h.slack, CARD)).toMatch(/👀 monitor/);
    later(MIN);
    await tick(false);
    const card = current(h.slack, CARD);
    expect(card).toMatch(/Rolled back automatically: .*community_error_rate/);
    for (const s of SERVICES) {
      expect(await tables(`production/${s}`)).not.toContain(`${s}_audit`);
      expect((await tables(`production/${s}`)).length).toBe(1);
    }
    expect(card).toMatch(/↳ \*academy:\*.*✅ rollback/);
    expect(hook.received.at(-1) && JSON.parse(hook.received.at(-1)!.body).outcome).toBe('rolled_back');
  });
});
