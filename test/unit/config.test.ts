import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAppEnv, secretsOf } from '../../src/app-env.js';
import { parseDeployConfig } from '../../src/config.js';
import { ConfigError } from '../../src/config-error.js';
import { parseDuration } from '../../src/config-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'mg-config-'));
const source = join(dir, 'deploy.yml');
const env = { STAGING_DATABASE_URL: 'postgres://u:pw-1234@h/db' };

function problems(yaml: string, e: Record<string, string> = env): string[] {
  try {
    parseDeployConfig(yaml, source, e);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('deploy.yml', () => {
  it('accepts a minimal file and fills defaults', () => {
    const c = parseDeployConfig(
      'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
      source,
      env,
    );
    expect(c.environments[0]).toEqual({
      name: 'staging',
      databaseUrl: env.STAGING_DATABASE_URL,
      databaseVar: 'STAGING_DATABASE_URL',
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 2000,
      statementTimeoutMs: 300_000,
      lockRetries: 5,
      retryBackoffMs: 500,
      approvals: [],
      allowSelfApproval: false,
      window: undefined,
      expiresAfterMs: 3 * 86_400_000,
      remindEveryMs: 4 * 3_600_000,
      checks: [],
      monitor: undefined,
      autoRollback: false,
      onDemandWrites: false,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem at once, each with its path', () => {
    const p = problems(
      [
        'migrations: ./nowhere',
        'colour: blue',
        'environments:',
        '  - name: Staging!',
        '    database: postgres://u:p@h/db',
        '    lockTimeout: soon',
        '    lockRetries: -1',
        '    extra: 1',
      ].join('\n'),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        '(top level): unknown key(s) "colour"',
        expect.stringMatching(/^environments\[0\]\.name: use lowercase letters/),
        expect.stringMatching(/^environments\[0\]\.database: write \$\{ENV_VAR\}/),
        'environments[0].lockTimeout: "soon" is not a duration; write it like 500ms, 2s, 5m or 1h',
        expect.stringMatching(/^environments\[0\]\.lockRetries: /),
        'environments[0]: unknown key(s) "extra"',
      ]),
    );
    expect(p).toHaveLength(6);
  });

  it('names a missing variable and a folder that does not exist, never the value', () => {
    const p = problems(
      'migrations: ./nowhere\nenvironments:\n  - name: a\n    database: ${A_URL}\n  - name: b\n    database: ${B_URL}\n',
      { B_URL: 'mysql://x:secret-pw@h' },
    );
    expect(p).toEqual([
      'environments[0].database: environment variable A_URL is not set',
      'environments[1].database: B_URL must be a postgres:// or postgresql:// URL (its value is not shown)',
      'migrations: folder ./nowhere does not exist',
    ]);
  });

  it('refuses duplicate names, empty lists, and YAML that does not parse', () => {
    expect(problems('environments: []')).toEqual(['environments: list at least one environment']);
    expect(
      problems(
        'migrations: .\nenvironments:\n  - {name: a, database: "${STAGING_DATABASE_URL}"}\n  - {name: a, database: "${STAGING_DATABASE_URL}"}',
      ),
    ).toEqual(['environments[1].name: "a" is listed twice']);
    expect(problems('environments: [')[0]).toMatch(/^not valid YAML: /);
  });

  it('validates approval rules and windows, failing closed on rules that could never pass', () => {
    const base = 'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n';
    expect(
      problems(
        `${base}    approvals:\n      - { role: dba, users: [U01], count: 2 }\n      - { role: po }\n      - { role: x, users: [nobody] }\n    window: { days: [someday], from: "2:00", to: "06:00", timezone: Mars/Olympus }\n`,
      ),
    ).toEqual([
      'environments[0].approvals[0].count: rule "dba" needs 2 approvals but lists 1 user(s): it could never pass',
      'environments[0].approvals[1]: rule "po" needs exactly one of users or usergroup',
      'environments[0].approvals[2].users[0]: Slack user ids look like U01ABCDEF',
      expect.stringMatching(/^environments\[0\]\.window\.days\[0\]: /),
      'environments[0].window.from: write times as HH:MM, e.g. "02:00"',
      'environments[0].window.timezone: not a time zone; use an IANA name such as UTC or Europe/Berlin',
    ]);
    const ok = parseDeployConfig(
      `${base}    approvals:\n      - { role: dba, usergroup: S01DBA }\n    window: { days: [tue], from: "22:00", to: "02:00", timezone: Europe/Berlin }\n    expiresAfter: 1d\n`,
      source,
      env,
    );
    expect(ok.environments[0]).toMatchObject({
      approvals: [{ role: 'dba', usergroup: 'S01DBA', count: 1 }],
      window: { days: ['tue'], from: '22:00', to: '02:00', timezone: 'Europe/Berlin' },
      expiresAfterMs: 86_400_000,
    });
  });

  it('parses durations', () => {
    expect([
      parseDuration('500ms'),
      parseDuration('2s'),
      parseDuration('1.5m'),
      parseDuration(250),
      parseDuration('x'),
    ]).toEqual([500, 2000, 90_000, 250, undefined]);
  });
});

describe('environment', () => {
  it('requires a signing secret in HTTP mode and a bot token with an app token', () => {
    expect(() => loadAppEnv({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(
      /SLACK_SIGNING_SECRET: required in HTTP mode/,
    );
    expect(() => loadAppEnv({ SLACK_APP_TOKEN: 'xapp-1' })).toThrow(/SLACK_BOT_TOKEN: required/);
    expect(() => loadAppEnv({ PORT: 'abc' })).toThrow(/PORT/);
    expect(loadAppEnv({}).PORT).toBe(3000);
  });
  it('lists every secret, including URL passwords', () => {
    const e = loadAppEnv({
      SLACK_BOT_TOKEN: 'xoxb-abc',
      SLACK_SIGNING_SECRET: 'sign-1234',
      DATABASE_URL: 'postgres://u:p%40ss-99@h/d',
    });
    expect(secretsOf(e, undefined)).toEqual(
      expect.arrayContaining(['xoxb-abc', 'sign-1234', 'p@ss-99', 'p%40ss-99']),
    );
  });
});

describe('monitoring in deploy.yml', () => {
  const base = (extra: string, envExtra = '') =>
    `${extra}\nmigrations: .\nenvironments:\n  - name: staging\n    database: \${STAGING_DATABASE_URL}\n${envExtra}`;
  it('reads plans, metrics and the on-call group; an environment picks a plan', () => {
    const c = parseDeployConfig(
      base(
        `monitoring:\n  plans:\n    day: [{ every: 5m, for: 1h }, { every: 2h, until: 4h }]\n  metrics:\n    - { metric: error_rate, warn: "> 0.1%", critical: "> 1%", consecutive: 3, rollback: true }\n    - { metric: function_mean_ms, function: f, warn: "> 15" }\n    - { name: shield_failures, sql: "select 1", critical: "> 10", dryRun: true }\n  oncall: S01ONCALL`,
        '    monitor: day\n    autoRollback: true\n',
      ),
      source,
      env,
    );
    expect(c.environments[0]!.monitor).toEqual({
      plan: 'day',
      phases: [
        { everyMs: 300_000, forMs: 3_600_000 },
        { everyMs: 7_200_000, untilMs: 14_400_000 },
      ],
    });
    expect(c.monitoring.oncall).toBe('S01ONCALL');
    expect(c.monitoring.metrics.map((m) => m.rule.key)).toEqual([
      'error_rate',
      'function_mean_ms(f)',
      'shield_failures',
    ]);
    expect(c.monitoring.metrics[0]!.rule).toMatchObject({
      consecutive: 3,
      rollback: true,
      critical: { op: '>', value: 1 },
    });
  });
  it('every mistake at once, with its path', () => {
    expect(
      problems(
        base(
          `monitoring:\n  plans:\n    day: [{ every: 5m }]\n  metrics:\n    - { metric: nope }\n    - { metric: function_mean_ms, warn: "> 15" }\n    - { metric: deadlocks, warn: "lots", rollback: true }\n    - { name: x, metric: deadlocks, sql: "select 1" }`,
          '    monitor: week\n',
        ),
      ),
    ).toEqual([
      'monitoring.plans.day[0]: give a phase either for: (how long) or until: (since the start)',
      expect.stringMatching(/^monitoring\.metrics\[0\]\.metric: /),
      "monitoring.metrics[1].function: function_mean_ms needs function: (the function's name)",
      'monitoring.metrics[2].warn: write a line like "> 0", ">= 15", "> 1%" or "> baseline + 20%"',
      'monitoring.metrics[2].rollback: rollback: true needs a critical: line to trigger it',
      'monitoring.metrics[3]: give either metric: (a built-in) or name: and sql: (a custom metric), or name: with one of http:, prometheus: or check:',
    ]);
    expect(
      problems(base('monitoring:\n  plans:\n    day: [{ every: 5m, for: 1h }]', '    monitor: week\n')),
    ).toEqual(['environments[0].monitor: there is no plan "week" in monitoring.plans (day)']);
  });
});
