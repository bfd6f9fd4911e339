/**
 * deploy.yml's notify: and after: (docs/after.md): what they resolve to, each mistake with its key, the values
 * that must never be shown; and the pure parts of an action (retry delays, GitHub's pull request states).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signature } from '../../src/after/webhook.js';
import { loadAppEnv, secretsOf } from '../../src/app-env.js';
import { parseDeployConfig } from '../../src/config.js';
import { ConfigError } from '../../src/config-error.js';
import { judgePull, retryable, retryDelayMs, signedText } from '../../src/deploy/after-results.js';

const dir = mkdtempSync(join(tmpdir(), 'mg-after-config-'));
const source = join(dir, 'deploy.yml');
const env = {
  PRODUCTION_DATABASE_URL: 'postgres://u:pw-1234@h/db',
  RELEASE_HOOK_URL: 'https://hooks.internal.example:8443/release',
  RELEASE_HOOK_SECRET: 'whsec-0123456789',
  GITHUB_TOKEN: 'ghp_0123456789abcdef',
};

const yml = (after: string, extra = '') => `notify:
  - "#engineering-alerts"
  - { channel: C0RELEASES, on: [end] }
migrations: .
environments:
  - name: production
    database: \${PRODUCTION_DATABASE_URL}
${extra}    after:
${after}`;

const HOOK = `      - webhook:
          url: \${RELEASE_HOOK_URL}
          secret: \${RELEASE_HOOK_SECRET}
        on: always
`;
const MERGE = `      - mergePullRequest:
          repository: acme/app
          number: 42
          method: squash
          token: \${GITHUB_TOKEN}
        gate: true
`;
const APPROVALS = '    approvals: [{ role: dba, users: [U0DBA], count: 1 }]\n';

function problems(yaml: string, e: Record<string, string> = env): string[] {
  try {
    parseDeployConfig(yaml, source, e);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('notify: and after: in deploy.yml', () => {
  it('resolve to channels with what they hear, and actions with their values, labels and defaults', () => {
    const c = parseDeployConfig(yml(HOOK + MERGE, APPROVALS), source, env);
    expect(c.notify).toEqual([
      { channel: '#engineering-alerts', on: ['start', 'gate', 'end', 'critical'] },
      { channel: 'C0RELEASES', on: ['end'] },
    ]);
    const [hook, merge] = c.environments[0]!.after!;
    expect(hook).toEqual({
      on: 'always',
      gate: false,
      label: 'webhook RELEASE_HOOK_URL',
      do: {
        kind: 'webhook',
        url: env.RELEASE_HOOK_URL,
        urlVar: 'RELEASE_HOOK_URL',
        secret: env.RELEASE_HOOK_SECRET,
        secretVar: 'RELEASE_HOOK_SECRET',
      },
      retries: 4,
      retryBackoffMs: 1000,
      timeoutMs: 10_000,
    });
    expect(merge).toMatchObject({
      on: 'success',
      gate: true,
      label: 'merge acme/app#42',
      do: {
        kind: 'merge',
        repository: 'acme/app',
        number: 42,
        method: 'squash',
        apiUrl: 'https://api.github.com',
      },
    });
    const gh = parseDeployConfig(yml(MERGE, APPROVALS), source, {
      ...env,
      GITHUB_API_URL: 'http://127.0.0.1:9',
    });
    expect(gh.environments[0]!.after![0]!.do).toMatchObject({ apiUrl: 'http://127.0.0.1:9' });
  });

  it('say each mistake with its key', () => {
    expect(problems(yml(MERGE))).toEqual([
      'environments[0].after[0].gate: this environment has no approvals: to approve the action with (add approvals, or drop gate: true)',
    ]);
    expect(problems(yml(HOOK), { ...env, RELEASE_HOOK_URL: 'not a url', RELEASE_HOOK_SECRET: '' })).toEqual([
      'environments[0].after[0].webhook.url: RELEASE_HOOK_URL must be an http:// or https:// URL (its value is not shown)',
      'environments[0].after[0].webhook.secret: environment variable RELEASE_HOOK_SECRET is not set',
    ]);
    expect(problems(yml('      - { on: success }\n'))).toEqual([
      'environments[0].after[0]: an after: action has exactly one of webhook: or mergePullRequest:',
    ]);
    expect(
      problems(
        yml('      - webhook: { url: "https://x.example", secret: "${S}" }\n        on: later\n'),
      ).join('\n'),
    ).toMatch(/webhook\.url: write \$\{ENV_VAR\} and put the URL in that environment variable[\s\S]*on: /);
    expect(problems(yml(HOOK).replace('"#engineering-alerts"', 'engineering-alerts'))).toEqual([
      'notify[0]: a channel id like C0123ABCD, or "#engineering-alerts" (quoted: # starts a YAML comment)',
    ]);
    expect(problems(yml(HOOK).replace('on: [end]', 'on: [finished]'))).toEqual([
      'notify[1]: each of on: is start, gate, end or critical',
    ]);
  });

  it('keep webhook URLs and hosts, signing secrets and tokens out of Slack and the logs', () => {
    const deploy = parseDeployConfig(yml(HOOK + MERGE, APPROVALS), source, env);
    const secrets = secretsOf(loadAppEnv({}), deploy);
    for (const s of [
      env.RELEASE_HOOK_URL,
      'https://hooks.internal.example:8443',
      'hooks.internal.example:8443',
      env.RELEASE_HOOK_SECRET,
      env.GITHUB_TOKEN,
    ])
      expect(secrets).toContain(s);
  });
});

describe('an action, pure', () => {
  it('waits longer before each retry, up to five minutes, and retries only what the other side may fix', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(20, 1000)).toBe(300_000);
    expect([500, 502, 503, 429, 408].every(retryable)).toBe(true);
    expect([400, 401, 404, 410, 422].some(retryable)).toBe(false);
  });

  it('signs like Slack: v0= and the hex HMAC-SHA256 of v0:<timestamp>:<body>', () => {
    expect(signedText(1700000000, '{"a":1}')).toBe('v0:1700000000:{"a":1}');
    // Slack's documented example: secret 8f742231b10e8888abcd99yyyzzz85a5, this timestamp and body.
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(signature('8f742231b10e8888abcd99yyyzzz85a5', 1531420618, body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it("reads GitHub's pull request states: merged is done, closed or not mergeable stops, unknown waits", () => {
    const pull = { state: 'open', head: { sha: 'abc' } };
    expect(judgePull('acme/app#42', { ...pull, mergeable: true })).toEqual({ do: 'merge', sha: 'abc' });
    expect(judgePull('acme/app#42', { ...pull, merged: true, merge_commit_sha: 'def' })).toEqual({
      do: 'done',
      sha: 'def',
    });
    expect(judgePull('acme/app#42', { ...pull, state: 'closed', merged: false })).toEqual({
      do: 'stop',
      why: 'acme/app#42 is closed without being merged: nothing was merged.',
    });
    expect(judgePull('acme/app#42', { ...pull, mergeable: false, mergeable_state: 'blocked' })).toMatchObject(
      {
        do: 'stop',
        why: expect.stringContaining('cannot be merged (mergeable_state: blocked)'),
      },
    );
    expect(judgePull('acme/app#42', { ...pull, mergeable: null })).toMatchObject({ do: 'wait' });
  });
});
