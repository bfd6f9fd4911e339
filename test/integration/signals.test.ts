/**
 * The application's own signals against real services: http checks and http metrics against a real HTTP service,
 * prometheus metrics against Debian's Prometheus scraping that service's prom-client /metrics, watched checks and
 * connect_ms against real PostgreSQL.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Environment, parseDeployConfig } from '../../src/config.js';
import { type CheckResult, parseChecks } from '../../src/deploy/checks.js';
import type { MetricSource } from '../../src/deploy/metrics.js';
import { runChecks } from '../../src/target/checks.js';
import { unrecorded } from '../../src/target/footprint.js';
import { sampleSources } from '../../src/target/signals.js';
import { type AppService, startAppService } from '../support/app-service.js';
import { createTestDatabase, query } from '../support/pg.js';
import { hasPrometheus, type Prometheus, startPrometheus } from '../support/prometheus.js';

let app: AppService;
let slow: AppService;
let url: string;
let env: Environment;
let sources: Record<string, MetricSource>;
let prometheus: Prometheus | undefined;

const METRICS = `
    - { name: queue_depth, http: { url: community, path: /stats, json: $.queue.depth }, warn: "> 10" }
    - { name: health_ms, http: { url: community, path: /health }, down: 2 }
    - { name: health_json, http: { url: community, path: /health, json: $.status }, warn: "> 1" }
    - { name: gone_up, http: { url: gone, path: /health }, down: 2 }
    - { name: error_rate_5xx, unit: "%", critical: "> 5", consecutive: 5, rollback: true,
        prometheus: { server: prometheus, query: '100 * sum(app_http_requests_total{code=~"5.."}) / sum(app_http_requests_total)' } }
    - { name: p99_ms, unit: ms, critical: "> 1000",
        prometheus: { server: prometheus, query: 'histogram_quantile(0.99, sum by (le) (app_http_request_duration_seconds_bucket)) * 1000' } }
    - { name: by_code, prometheus: { server: prometheus, query: 'app_http_requests_total' }, warn: "> 1" }
    - { name: bad_query, prometheus: { server: prometheus, query: 'sum(' }, warn: "> 1" }
    - { name: nothing, prometheus: { server: prometheus, query: 'sum(app_no_such_metric)' }, warn: "> 1" }
    - { name: rls_isolation, check: { name: RLS isolation, rls: { table: campaigns } }, rollback: true }
    - { metric: connect_ms, down: 2 }`;

function load(promUrl: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'mg-signals-'));
  mkdirSync(join(dir, 'migrations'));
  const yaml = `monitoring:\n  plans: { short: [{ every: 1m, for: 5m }] }\n  metrics:${METRICS}
environments:
  - name: staging
    database: \${STAGING_DATABASE_URL}
    monitor: short
    urls:
      community: \${COMMUNITY_URL}
      slow: \${SLOW_URL}
      gone: \${GONE_URL}
      prometheus: \${PROMETHEUS_URL}
`;
  writeFileSync(join(dir, 'deploy.yml'), yaml);
  const deploy = parseDeployConfig(yaml, join(dir, 'deploy.yml'), {
    STAGING_DATABASE_URL: url,
    COMMUNITY_URL: app.url,
    SLOW_URL: slow.url,
    // A privileged port (no test server can take it) that fetch does not block: connections are refused.
    GONE_URL: 'http://127.0.0.1:1023',
    PROMETHEUS_URL: promUrl,
  });
  env = deploy.environments[0]!;
  sources = Object.fromEntries(deploy.monitoring.metrics.map((m) => [m.rule.key, m.source]));
}

beforeAll(async () => {
  url = await createTestDatabase('mg_signals');
  await query(
    url,
    'create table campaigns (id int, workspace_id int); alter table campaigns enable row level security',
  );
  [app, slow] = await Promise.all([startAppService(), startAppService()]);
  slow.health.delayMs = 300;
  if (hasPrometheus) prometheus = await startPrometheus([`127.0.0.1:${app.port}`]);
  load(prometheus?.url ?? 'http://127.0.0.1:1023');
});

afterAll(async () => {
  await prometheus?.stop();
  await Promise.all([app?.close(), slow?.close()]);
});

async function check(yaml: string, databaseUrl = url): Promise<CheckResult[]> {
  const parsed = parseChecks(parse(yaml), '001_x.checks.yml');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return runChecks(databaseUrl, parsed.checks, {
    footprints: unrecorded,
    defaultTimeoutMs: 5000,
    urls: env.urls,
  });
}

const read = (...keys: string[]) =>
  sampleSources(
    env,
    unrecorded,
    keys.map((k) => sources[k]!),
    [],
    () => new Date().toISOString(),
  );

const hosts = (x: unknown) => JSON.stringify(x).match(/127\.0\.0\.1|localhost|:\d{4,5}\b/g) ?? [];

describe('http checks against a real service', () => {
  it('status, time limit and JSON value, each measured and shown, never the host', async () => {
    const results = await check(`
- { name: community up, http: { url: community, path: /health, within: 500ms } }
- { name: community healthy, http: { url: community, path: /health, json: $.status }, expect: ok }
- { name: database reachable, http: { url: community, path: /health, json: $.checks.database }, expect: true }
- { name: degraded?, http: { url: community, path: /health, json: $.status }, expect: degraded }
- { name: no such key, http: { url: community, path: /health, json: $.checks.cache }, expect: true }
- { name: slow service, http: { url: slow, path: /health, within: 100ms } }
- { name: not found, http: { url: community, path: /missing } }
- { name: crashed service, http: { url: gone, path: /health } }
`);
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(by['community up']).toMatchObject({ status: 'pass', target: 'GET /health → 200 within 500 ms' });
    expect(by['community up']!.actual).toMatch(/^200 in \d+ ms$/);
    expect(by['community healthy']).toMatchObject({
      status: 'pass',
      target: 'GET /health → 200, $.status = ok',
    });
    expect(by['community healthy']!.actual).toMatch(/^200 in \d+ ms, \$\.status: ok$/);
    expect(by['database reachable']!.status).toBe('pass');
    expect(by['degraded?']).toMatchObject({
      status: 'fail',
      target: 'GET /health → 200, $.status = degraded',
    });
    expect(by['no such key']!.status).toBe('fail');
    expect(by['no such key']!.actual).toMatch(/; \$\.checks has no key "cache"$/);
    expect(by['slow service']!.status).toBe('fail');
    expect(by['slow service']!.actual).toMatch(/^200 in (\d{3,}) ms, over the 100 ms limit$/);
    expect(Number(/in (\d+) ms/.exec(by['slow service']!.actual)![1])).toBeGreaterThanOrEqual(300);
    expect(by['slow service']!.durationMs).toBeGreaterThanOrEqual(300);
    expect(by['not found']).toMatchObject({ status: 'fail', target: 'GET /missing → 200' });
    expect(by['not found']!.actual).toMatch(/^404 in \d+ ms$/);
    expect(by['crashed service']).toMatchObject({
      status: 'error',
      error: 'gone refused the connection: is the service running? Check GONE_URL.',
    });
    expect(hosts(results)).toEqual([]);
  });

  it('an http check opens no database connection (none is open while it waits on the service)', async () => {
    // The target URL points nowhere: were the check to connect or open a transaction, it would fail.
    const [r] = await check(
      '- { name: up, http: { url: slow, path: /health } }',
      'postgres://nobody@127.0.0.1:9/none',
    );
    expect(r!.status).toBe('pass');
  });
});

describe('metrics read from outside PostgreSQL', () => {
  it('http: a number by JSON path, the answer time without one; a failed request is down, a missing value is not', async () => {
    const s = await read('queue_depth', 'health_ms', 'health_json', 'gone_up');
    expect(s.gauges.queue_depth).toBe(3);
    expect(s.gauges.health_ms).toBeGreaterThan(0);
    expect(s.unavailable.health_json).toBe('$.status is "ok", not a number');
    expect(s.unavailable.gone_up).toBe(
      'gone refused the connection: is the service running? Check GONE_URL.',
    );
    expect(s.down).toEqual(['gone_up']);
    app.health.status = 503;
    try {
      const d = await read('health_ms');
      expect(d.unavailable.health_ms).toBe('GET /health answered 503 (wanted 200)');
      expect(d.down).toEqual(['health_ms']);
    } finally {
      app.health.status = 200;
    }
    app.crash();
    try {
      const d = await read('health_ms', 'queue_depth');
      expect(d.unavailable).toEqual({
        health_ms: 'community closed the connection before answering.',
        queue_depth: 'community closed the connection before answering.',
      });
      expect(d.down).toEqual(['health_ms', 'queue_depth']);
    } finally {
      app.restart();
    }
  });

  it('a watched check reads 0 while it passes and 1 with what it saw when it fails', async () => {
    expect(await read('rls_isolation')).toMatchObject({
      gauges: { rls_isolation: 0 },
      notes: { rls_isolation: expect.stringMatching(/^passes/) },
    });
    await query(url, 'alter table campaigns disable row level security');
    try {
      const s = await read('rls_isolation');
      expect(s.gauges.rls_isolation).toBe(1);
      expect(s.notes!.rls_isolation).toBe('fails: wanted RLS on campaigns: enabled; found disabled');
    } finally {
      await query(url, 'alter table campaigns enable row level security');
    }
  });

  it('connect_ms times the connection; a database that refuses connections is down, and so are checks on it', async () => {
    const up = await read('connect_ms', 'rls_isolation', 'queue_depth');
    expect(up.gauges.connect_ms).toBeGreaterThan(0);
    expect(up.down).toBeUndefined();
    const name = new URL(url).pathname.slice(1);
    const admin = url.replace(/\/[^/]+$/, '/postgres');
    await query(admin, `alter database ${name} allow_connections false`);
    try {
      const s = await read('connect_ms', 'rls_isolation', 'queue_depth');
      expect(s.down).toEqual(['connect_ms', 'rls_isolation']);
      expect(s.unavailable.connect_ms).toMatch(
        /^could not sample: staging: the database is not accepting connections/,
      );
      expect(s.unavailable.rls_isolation).toBe(s.unavailable.connect_ms);
      expect(s.gauges.queue_depth).toBe(3);
    } finally {
      await query(admin, `alter database ${name} allow_connections true`);
    }
  });
});

// Only a machine without Debian's prometheus package skips these (apt-get install -y prometheus; CI installs it).
describe.skipIf(!hasPrometheus)('prometheus metrics: instant queries against a real Prometheus', () => {
  it('one number per query: an error rate, a p99; several series, a bad query and no data say why', async () => {
    app.record(200, 90, 0.03);
    app.record(500, 10, 1.2);
    await prometheus!.waitFor('sum(app_http_requests_total)', (v) => v === 100);
    const s = await read('error_rate_5xx', 'p99_ms', 'by_code', 'bad_query', 'nothing');
    expect(s.gauges.error_rate_5xx).toBe(10);
    expect(s.gauges.p99_ms).toBeGreaterThan(1000);
    expect(s.unavailable.by_code).toBe(
      'the query returned 2 series; aggregate it to one number (sum(…), max(…))',
    );
    expect(s.unavailable.bad_query).toMatch(/^Prometheus refused the query: bad_data: /);
    expect(s.gauges.nothing).toBeUndefined();
    expect(s.notes!.nothing).toMatch(/^the query returned no series/);
    expect(s.down).toBeUndefined();
  });
});
