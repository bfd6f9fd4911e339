/**
 * The application's own signals through Slack, as the RLS-rollout runbook watches them: /health checked in verify
 * (status, time, JSON), and rolled back on a Prometheus error rate over 5 % for 5 checkpoints, a service that
 * stops answering, or an RLS check failing while watched; a target that stops accepting connections is a
 * critical of its own. A real HTTP service (prom-client /metrics), Debian's Prometheus scraping it, real
 * PostgreSQL, the real bot over signed HTTP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppService, startAppService } from '../support/app-service.js';
import { clock, current, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';
import { hasPrometheus, type Prometheus, startPrometheus } from '../support/prometheus.js';

const CARD = /^Run #\d+ · /;
const MIN = 60_000;
// `or vector(0)`: before the first 5xx there is no such series, and the rate is 0, not "no data".
const ERROR_RATE =
  '100 * (sum(app_http_requests_total{code=~"5.."}) or vector(0)) / sum(app_http_requests_total)';

const MONITORING = `monitoring:
  plans:
    ten: [{ every: 1m, for: 10m }]
  metrics:
    - name: error_rate_5xx
      prometheus: { server: prometheus, query: '${ERROR_RATE}' }
      unit: "%"
      critical: "> 5"
      consecutive: 5
      rollback: true
    - name: p99_ms
      prometheus: { server: prometheus, query: 'histogram_quantile(0.99, sum by (le) (app_http_request_duration_seconds_bucket)) * 1000' }
      unit: ms
      critical: "> 1000"
    - { name: community_up, http: { url: community, path: /health }, down: 2, rollback: true }
    - { metric: connect_ms, down: 2 }
    - { name: rls_isolation, check: { name: RLS isolation, rls: { table: campaigns } }, rollback: true }
`;

const MIGRATIONS = {
  '001_campaigns.sql':
    'create table campaigns (id int primary key, workspace_id int not null);\nalter table campaigns enable row level security;\n',
  '001_campaigns.down.sql': 'drop table campaigns;\n',
  '001_campaigns.checks.yml': `- { name: community up, http: { url: community, path: /health, within: 500ms } }
- { name: community healthy, http: { url: community, path: /health, json: $.status }, expect: ok }
- { name: RLS on campaigns, rls: { table: campaigns } }
`,
};

// Only a machine without Debian's prometheus package skips these (apt-get install -y prometheus; CI installs it).
describe.skipIf(!hasPrometheus)('the application’s own signals, through Slack', () => {
  let h: Harness;
  let app: AppService;
  let prometheus: Prometheus;
  let base = 0;

  beforeAll(async () => {
    app = await startAppService();
    app.record(200, 100, 0.03);
    prometheus = await startPrometheus([`127.0.0.1:${app.port}`]);
    await prometheus.waitFor('sum(app_http_requests_total)', (v) => v === 100);
    h = await startHarness({
      topYaml: MONITORING,
      migrations: MIGRATIONS,
      envYaml: {
        staging:
          '    monitor: ten\n    autoRollback: true\n    urls:\n      community: ${STAGING_COMMUNITY_URL}\n      prometheus: ${STAGING_PROMETHEUS_URL}\n',
      },
      extraEnv: { STAGING_COMMUNITY_URL: app.url, STAGING_PROMETHEUS_URL: prometheus.url },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await prometheus?.stop();
    await app?.close();
  });
  afterEach(() => {
    clock.offsetMs = 0;
  });

  /** Deploy 001 and note the clock its monitor step starts from. */
  async function deploy() {
    clock.offsetMs = 0;
    await h.slash('001');
    await h.settle();
    base = 0;
  }
  /** The k-th planned checkpoint (1-based), taken by the scheduler's tick. */
  async function checkpoint(k: number) {
    clock.offsetMs = base + k * MIN + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
  }
  const monitoring = () => current(h.slack, 'Monitoring staging');
  const criticals = () =>
    h.slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith('Critical on staging'));
  /** Nothing the bot sent to Slack names the service's or Prometheus's host. */
  const noHosts = () => {
    const all = JSON.stringify(h.slack.calls);
    for (const u of [app.url, prometheus.url]) expect(all).not.toContain(new URL(u).host);
    expect(all).not.toContain('127.0.0.1');
  };

  it('verify checks /health (status, time, JSON); an error rate over 5 % for 5 checkpoints rolls back', async () => {
    await deploy();
    const verify = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).startsWith('Verify on staging'))
      .at(-1)!;
    const table = (verify.args.blocks as { type: string; rows?: { text: string }[][] }[]).find(
      (b) => b.type === 'table',
    )!;
    const rows = table.rows!.map((r) => r.map((c) => c.text));
    expect(rows.find((r) => r[0] === 'community up')).toEqual([
      'community up',
      'GET /health → 200 within 500 ms',
      expect.stringMatching(/^200 in \d+ ms$/),
      '✅',
      expect.stringMatching(/^\d+ ms$/),
    ]);
    expect(rows.find((r) => r[0] === 'community healthy')!.slice(1, 4)).toEqual([
      'GET /health → 200, $.status = ok',
      expect.stringMatching(/^200 in \d+ ms, \$\.status: ok$/),
      '✅',
    ]);
    expect(app.hits['/health']).toBeGreaterThanOrEqual(2);

    await checkpoint(1);
    expect(monitoring()).toMatch(/✅ \*error_rate_5xx\* 0% \(critical &gt; 5\)/);
    expect(monitoring()).toMatch(/✅ \*p99_ms\* \d+(\.\d+)? ms \(critical &gt; 1000\)/);
    expect(monitoring()).toMatch(/✅ \*community_up\* \d+(\.\d+)? ms/);
    expect(monitoring()).toMatch(/✅ \*rls_isolation\* passes \(enabled\)/);
    expect(monitoring()).toMatch(/✅ \*connect_ms\* \d+(\.\d+)? ms/);

    // The application starts failing one request in eleven: 9.09 %, for five checkpoints in a row.
    app.record(500, 10, 0.03);
    await prometheus.waitFor(ERROR_RATE, (v) => v > 9);
    for (let k = 2; k <= 5; k++) {
      await checkpoint(k);
      expect(monitoring()).toContain(`🔴 *error_rate_5xx* 9.09% (critical &gt; 5, ${k - 1} of 5 in a row)`);
      expect(criticals()).toHaveLength(0);
    }
    await checkpoint(6);
    expect(criticals()).toHaveLength(1);
    expect(String(criticals()[0]!.args.text)).toBe('Critical on staging: error_rate_5xx 9.09%');
    expect(JSON.stringify(criticals()[0]!.args.blocks)).toContain('rolling back now');
    expect(current(h.slack, CARD)).toContain(
      'Rolled back automatically: error_rate_5xx 9.09% crossed its critical line (&gt; 5) on staging',
    );
    expect(lastPost(h.slack, 'Rollback on staging')).toContain('`001_campaigns.down.sql`');
    expect(await query(h.targets.staging!, "select to_regclass('campaigns') as t")).toEqual([{ t: null }]);
    noHosts();
  });

  it('a service that stops answering 2 checkpoints in a row is a critical that rolls back ("service crashes")', async () => {
    // The error rate falls back under 5 % (10 errors in 1,110 requests) before the next run.
    app.record(200, 1000, 0.03);
    await prometheus.waitFor(ERROR_RATE, (v) => v < 1);
    await deploy();
    app.crash();
    try {
      await checkpoint(1);
      expect(monitoring()).toContain(
        '🔴 *community_up* down: community closed the connection before answering. (1 of 2 in a row)',
      );
      expect(criticals()).toHaveLength(1);
      await checkpoint(2);
    } finally {
      app.restart();
    }
    expect(criticals()).toHaveLength(2);
    expect(String(criticals().at(-1)!.args.text)).toBe('Critical on staging: community_up down');
    expect(current(h.slack, CARD)).toContain(
      'Rolled back automatically: community_up was down 2 checkpoints in a row on staging (community closed the connection before answering.)',
    );
    expect(await query(h.targets.staging!, "select to_regclass('campaigns') as t")).toEqual([{ t: null }]);
    noHosts();
  });

  it('the database refusing connections is a critical of its own; RLS failing while watched rolls back', async () => {
    await deploy();
    const target = h.targets.staging!;
    const name = new URL(target).pathname.slice(1);
    const admin = target.replace(/\/[^/]+$/, '/postgres');
    await query(admin, `alter database ${name} allow_connections false`);
    try {
      await checkpoint(1);
      expect(monitoring()).toMatch(
        /🔴 \*connect_ms\* down: could not sample: staging: the database is not accepting connections right now .* \(1 of 2 in a row\)/,
      );
      await checkpoint(2);
    } finally {
      await query(admin, `alter database ${name} allow_connections true`);
    }
    const lost = criticals().at(-1)!;
    expect(String(lost.args.text)).toBe('Critical on staging: connect_ms down');
    // connect_ms is no rollback trigger: the alert offers the buttons, watching goes on.
    expect(JSON.stringify(lost.args.blocks)).toContain('alert.ack');
    expect(current(h.slack, CARD)).not.toContain('Rolled back');

    await query(target, 'alter table campaigns disable row level security');
    await checkpoint(3);
    expect(String(criticals().at(-1)!.args.text)).toBe('Critical on staging: rls_isolation fails');
    expect(monitoring()).toContain(
      '🔴 *rls_isolation* fails: wanted RLS on campaigns: enabled; found disabled',
    );
    expect(current(h.slack, CARD)).toContain(
      'Rolled back automatically: the watched check rls_isolation failed on staging (wanted RLS on campaigns: enabled; found disabled)',
    );
    expect(await query(target, "select to_regclass('campaigns') as t")).toEqual([{ t: null }]);
    noHosts();
  });
});
