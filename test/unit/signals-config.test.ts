/**
 * deploy.yml and check files for the application's own signals: urls:, http checks, http/prometheus/check metrics,
 * down: and unit:, each mistake said with its file and key.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadAppEnv, secretsOf } from '../../src/app-env.js';
import { parseDeployConfig } from '../../src/config.js';
import { ConfigError } from '../../src/config-error.js';
import { parseChecks } from '../../src/deploy/checks.js';
import { parseJsonPath, readJsonPath } from '../../src/deploy/json-path.js';

const dir = mkdtempSync(join(tmpdir(), 'mg-signals-config-'));
const source = join(dir, 'deploy.yml');
const env = {
  STAGING_DATABASE_URL: 'postgres://u:pw-1234@h/db',
  STAGING_COMMUNITY_URL: 'https://community.internal.example:8443/base',
  STAGING_PROMETHEUS_URL: 'http://prometheus.internal.example:9090',
};

const deployYml = (
  metrics: string,
  urls = 'community: ${STAGING_COMMUNITY_URL}\n      prometheus: ${STAGING_PROMETHEUS_URL}',
) =>
  `monitoring:\n  plans: { short: [{ every: 1m, for: 5m }] }\n  metrics:\n${metrics}
migrations: .
environments:
  - name: staging
    database: \${STAGING_DATABASE_URL}
    monitor: short
    urls:
      ${urls}
`;

function problems(yaml: string, e: Record<string, string> = env): string[] {
  try {
    parseDeployConfig(yaml, source, e);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const checkProblems = (yaml: string) => {
  const r = parseChecks(parse(yaml), '024_rls.checks.yml');
  return r.ok ? [] : r.problems;
};

describe('http checks in a check file', () => {
  it('compile to a request and what its answer must be', () => {
    const r = parseChecks(
      parse(`
- { name: up, http: { url: community, path: /health, within: 500ms } }
- { name: healthy, http: { method: get, url: community, path: "/health?full=1", status: [200, 204], json: $.status }, expect: ok, timeout: 2s }`),
      '024_rls.checks.yml',
    );
    expect(r.ok && r.checks.map((c) => [c.kind, c.plan, c.timeoutMs])).toEqual([
      [
        'http',
        { kind: 'http', method: 'GET', url: 'community', path: '/health', status: [200], withinMs: 500 },
        undefined,
      ],
      [
        'http',
        {
          kind: 'http',
          method: 'GET',
          url: 'community',
          path: '/health?full=1',
          status: [200, 204],
          json: '$.status',
          expect: 'ok',
        },
        2000,
      ],
    ]);
  });

  it('every mistake with its file and key', () => {
    expect(
      checkProblems(`
- { name: a, http: { url: "https://x.example/health" } }
- { name: b, http: { url: community, path: health, status: 99, within: soon } }
- { name: c, http: { url: community, json: "$.a[" } , expect: 1 }
- { name: d, http: { url: community, json: $.status } }
- { name: e, http: { url: community }, expect: ok }
- { name: f, http: { url: community, method: FETCH } }
- { name: g, http: { url: community, body: { a: 1 } } }
- { name: h, http: { url: community, header: x } }`),
    ).toEqual([
      "024_rls.checks.yml[0].http.url: the name of a URL in the environment's urls: in deploy.yml, like community",
      '024_rls.checks.yml[1].http.path: a path starting with /, like /health or /api/status?verbose=1',
      '024_rls.checks.yml[1].http.status: an HTTP status, from 100 to 599',
      '024_rls.checks.yml[1].http.within: a duration like 500ms, 5s or 1m',
      '024_rls.checks.yml[2].http.json: not a JSON path (cannot read "[": write keys as .name or ["name"] and items as [0]); write it like $.status or $.checks[0].ok',
      '024_rls.checks.yml[3].expect: http.json: needs expect: (the value wanted at that path, e.g. expect: ok)',
      '024_rls.checks.yml[4].http.json: expect: on an http check needs http.json: (where in the JSON answer to read the value, e.g. $.status)',
      '024_rls.checks.yml[5].http.method: one of GET, HEAD, POST, PUT, PATCH, DELETE',
      '024_rls.checks.yml[6].http.body: a GET request sends no body',
      '024_rls.checks.yml[7].http: unknown key(s) "header"',
    ]);
  });
});

describe('metrics from outside PostgreSQL in deploy.yml', () => {
  it('http, prometheus and a watched check, with unit:, down: and the URLs read from the environment', () => {
    const c = parseDeployConfig(
      deployYml(`    - { name: queue_depth, http: { url: community, path: /stats, json: $.queue.depth }, warn: "> 100" }
    - { name: community_up, http: { url: community, path: /health, timeout: 2s }, down: 3, rollback: true }
    - { name: error_rate_5xx, prometheus: { server: prometheus, query: 'sum(rate(x[5m]))' }, unit: "%", critical: "> 5", consecutive: 5, rollback: true }
    - { name: rls_isolation, check: { name: RLS isolation, rls: { table: campaigns } }, rollback: true }
    - { metric: connect_ms, down: 2 }`),
      source,
      env,
    );
    expect(c.environments[0]!.urls).toEqual({
      community: { url: env.STAGING_COMMUNITY_URL, variable: 'STAGING_COMMUNITY_URL' },
      prometheus: { url: env.STAGING_PROMETHEUS_URL, variable: 'STAGING_PROMETHEUS_URL' },
    });
    const m = c.monitoring.metrics;
    expect(m.map((x) => [x.rule.key, x.source.kind])).toEqual([
      ['queue_depth', 'http'],
      ['community_up', 'http'],
      ['error_rate_5xx', 'prometheus'],
      ['rls_isolation', 'check'],
      ['connect_ms', 'builtin'],
    ]);
    expect(m[0]!.source).toMatchObject({
      unit: '',
      timeoutMs: 10_000,
      request: { path: '/stats', json: '$.queue.depth' },
    });
    expect(m[1]!.source).toMatchObject({ unit: ' ms', timeoutMs: 2000 });
    expect(m[1]!.rule).toMatchObject({ down: 3, rollback: true, critical: undefined });
    expect(m[2]!.source).toMatchObject({ server: 'prometheus', unit: '%' });
    expect(m[2]!.rule).toMatchObject({ consecutive: 5, critical: { op: '>', value: 5 } });
    expect(m[3]!.rule).toMatchObject({ rollback: true, critical: { text: 'fails' } });
    expect(m[3]!.source).toMatchObject({
      check: { name: 'RLS isolation', kind: 'rls', source: 'monitoring.metrics[3].check[0]' },
    });
    expect(m[4]!.rule.down).toBe(2);
  });

  it('every mistake at once, each with its key', () => {
    expect(
      problems(
        deployYml(`    - { name: a, http: { url: community }, prometheus: { server: prometheus, query: up } }
    - { http: { url: community, path: /health } }
    - { name: c, prometheus: { query: up } }
    - { name: d, check: { name: x, sql: "select 1", expect: 1 }, critical: "> 0" }
    - { name: e, check: { name: x, sql: "delete from t", expect: 0, writes: true } }
    - { metric: deadlocks, unit: ms }
    - { name: g, http: { url: community }, down: 0 }`),
      ),
    ).toEqual([
      'monitoring.metrics[0]: give either metric: (a built-in) or name: and sql: (a custom metric), or name: with one of http:, prometheus: or check:',
      'monitoring.metrics[1].name: a http metric needs a name',
      "monitoring.metrics[2].prometheus.server: the name of a URL in the environment's urls: in deploy.yml, like community",
      'monitoring.metrics[3].critical: a watched check is critical when it fails: leave out warn: and critical:',
      'monitoring.metrics[4].check: a watched check runs at every checkpoint and must not write: use a read-only one (not writes: true, concurrent, rows_unchanged, or an http method other than GET or HEAD)',
      'monitoring.metrics[5].unit: unit: is for http and prometheus metrics (the others have their own)',
      expect.stringMatching(/^monitoring\.metrics\[6\]\.down: /),
    ]);
  });

  it('urls: come from environment variables that hold http(s) URLs; a monitored environment names each URL its metrics read', () => {
    const metric = `    - { name: p, prometheus: { server: prometheus, query: up }, warn: "> 1" }`;
    expect(problems(deployYml(metric, 'prometheus: http://prometheus:9090'))).toEqual([
      'environments[0].urls.prometheus: write ${ENV_VAR} and put the URL in that environment variable (hosts never go in deploy.yml or Slack)',
    ]);
    expect(problems(deployYml(metric, 'Prometheus: ${STAGING_PROMETHEUS_URL}'))).toEqual([
      'environments[0].urls.Prometheus: "Prometheus" is not a URL name; use lowercase letters, digits, - and _ (like community)',
    ]);
    expect(problems(deployYml(metric), { ...env, STAGING_PROMETHEUS_URL: 'prometheus:9090' })).toEqual([
      'environments[0].urls.prometheus: STAGING_PROMETHEUS_URL must be an http:// or https:// URL (its value is not shown)',
    ]);
    const { STAGING_PROMETHEUS_URL: _, ...without } = env;
    expect(problems(deployYml(metric), without)).toEqual([
      'environments[0].urls.prometheus: environment variable STAGING_PROMETHEUS_URL is not set',
    ]);
    expect(problems(deployYml(metric, 'community: ${STAGING_COMMUNITY_URL}'))).toEqual([
      "environments[0].urls: monitoring.metrics[0] (p) reads the URL named prometheus, which staging does not define; add prometheus: ${STAGING_PROMETHEUS_URL} to staging's urls: in deploy.yml (and set that variable)",
    ]);
  });

  it('the URLs, their hosts and passwords are secrets: scrubbed from everything the bot says', () => {
    const c = parseDeployConfig(
      deployYml('    - { metric: deadlocks, critical: "> 0" }', 'community: ${STAGING_COMMUNITY_URL}'),
      source,
      {
        ...env,
        STAGING_COMMUNITY_URL: 'https://bot:s3cret-pw@community.internal.example:8443/base',
      },
    );
    const secrets = secretsOf(loadAppEnv({}), c);
    expect(secrets).toEqual(
      expect.arrayContaining([
        'https://bot:s3cret-pw@community.internal.example:8443/base',
        'https://community.internal.example:8443',
        'community.internal.example:8443',
        's3cret-pw',
      ]),
    );
  });
});

describe('JSON paths', () => {
  it('read keys, items (from the end too) and quoted keys; say where a value is missing', () => {
    const doc = { status: 'ok', checks: [{ ok: true }, { ok: false }], 'a key': { n: 3 } };
    const at = (p: string) => {
      const parsed = parseJsonPath(p);
      if (!parsed.ok) throw new Error(parsed.problem);
      return readJsonPath(doc, parsed.steps);
    };
    expect(at('$.status')).toEqual({ found: true, value: 'ok' });
    expect(at('status')).toEqual({ found: true, value: 'ok' });
    expect(at('$.checks[-1].ok')).toEqual({ found: true, value: false });
    expect(at('$["a key"].n')).toEqual({ found: true, value: 3 });
    expect(at('$')).toEqual({ found: true, value: doc });
    expect(at('$.checks[5]')).toEqual({ found: false, missing: '$.checks has no item [5]' });
    expect(at('$.status.x')).toEqual({ found: false, missing: '$.status has no key "x"' });
    expect(parseJsonPath('$..a')).toEqual({ ok: false, problem: 'expected a key after "." at "..a"' });
  });
});

describe("docs/signals.md: the RLS rollout's triggers", () => {
  /** The deploy.yml block under "The RLS rollout's triggers". */
  const block = () => {
    const text = readFileSync(join(import.meta.dirname, '../../docs/signals.md'), 'utf8');
    const section = text.slice(text.indexOf("## The RLS rollout's triggers"));
    return /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  };
  it('error rate > 5 % for 5 checkpoints, p99 > 1000 ms, the service crashing, database connectivity lost, RLS failing', () => {
    const c = parseDeployConfig(`migrations: .\n${block()}`, source, {
      PRODUCTION_DATABASE_URL: 'postgres://u:pw-1234@h/db',
      PRODUCTION_COMMUNITY_URL: 'http://community.internal.example',
      PRODUCTION_PROMETHEUS_URL: 'http://prometheus.internal.example:9090',
    });
    const rules = Object.fromEntries(c.monitoring.metrics.map((m) => [m.rule.key, [m.source.kind, m.rule]]));
    expect(rules.error_rate_5xx).toEqual([
      'prometheus',
      expect.objectContaining({
        critical: expect.objectContaining({ op: '>', value: 5 }),
        consecutive: 5,
        rollback: true,
      }),
    ]);
    expect(rules.p99_ms).toEqual([
      'prometheus',
      expect.objectContaining({
        critical: expect.objectContaining({ op: '>', value: 1000 }),
        rollback: true,
      }),
    ]);
    expect(rules.community_up).toEqual(['http', expect.objectContaining({ down: 2, rollback: true })]);
    expect(rules.connect_ms).toEqual(['builtin', expect.objectContaining({ down: 2, rollback: false })]);
    expect(rules.rls_isolation).toEqual([
      'check',
      expect.objectContaining({ critical: expect.objectContaining({ text: 'fails' }), rollback: true }),
    ]);
    expect(c.environments[0]).toMatchObject({ autoRollback: true, monitor: { plan: 'rollout' } });
  });
});
