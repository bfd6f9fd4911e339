/**
 * What happens around a run (docs/after.md), end to end: the real bot, the fake Slack, real PostgreSQL, a real
 * webhook receiver that checks signatures (a 500, then a 200: the retry carries the same idempotency key) and a
 * stand-in for GitHub's REST API (the merge request's body; a pull request that cannot be merged is refused with a
 * sentence, one merged already is not merged again). notify: channels get short messages with a link to the
 * thread; a gated action is approved by a permitted person and refused to the wrong ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeGitHub,
  type Receiver,
  signatureValid,
  startFakeGitHub,
  startReceiver,
} from '../support/after-servers.js';
import { current, ephemerals, type Harness, lastPost, startHarness, textOf } from '../support/harness.js';
import { query } from '../support/pg.js';

const SECRET = 'whsec-after-test-7d1f';
const TOKEN = 'ghp_afterTestToken0123456789';
const CARD = /^Run #\d+ · /;

describe('after: actions and notify: channels', () => {
  let h: Harness;
  let hook: Receiver;
  let github: FakeGitHub;

  beforeAll(async () => {
    hook = await startReceiver([500, 200]);
    github = await startFakeGitHub(TOKEN, { 'acme/app#42': { head: { sha: 'abc1234' } } });
    h = await startHarness({
      envs: ['staging', 'production'],
      migrations: { '001_accounts.sql': 'create table accounts (id bigint primary key);\n' },
      topYaml: 'notify: ["#engineering-alerts"]',
      envYaml: {
        production: `    approvals:
      - { role: dba, users: [U0DBA, U0REQUESTER], count: 1 }
    notify: [{ channel: C0RELEASES, on: [end] }]
    after:
      - webhook:
          url: \${RELEASE_HOOK_URL}
          secret: \${RELEASE_HOOK_SECRET}
        retries: 3
        retryBackoff: 20ms
      - mergePullRequest: { repository: acme/app, number: 42, method: squash, token: "\${GITHUB_TOKEN}" }
        gate: true
`,
      },
      extraEnv: {
        RELEASE_HOOK_URL: `${hook.url}/hooks/release`,
        RELEASE_HOOK_SECRET: SECRET,
        GITHUB_TOKEN: TOKEN,
        GITHUB_API_URL: github.url,
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await hook?.close();
    await github?.close();
  });

  const approve = async (prefix: string, user: string) => {
    expect((await h.click(prefix, 'gate.approve', user)).status).toBe(200);
    await h.settle();
  };

  it('staging → production: the webhook is retried with the same key, the merge waits for its gate, channels are told', async () => {
    await h.slash('001');
    await h.settle();
    await approve('Approval needed for production', 'U0DBA');

    // The webhook: a 500, then a 200, each signed, both with the same idempotency key and body.
    expect(hook.received).toHaveLength(2);
    for (const r of hook.received) {
      expect(r.method).toBe('POST');
      expect(r.path).toBe('/hooks/release');
      expect(r.headers['content-type']).toBe('application/json');
      expect(signatureValid(r, SECRET)).toBe(true);
      expect(signatureValid(r, 'another-secret')).toBe(false);
      expect(r.headers['idempotency-key']).toBe('migration-gate-run-1-production-after-0');
    }
    expect(hook.received[1]!.body).toBe(hook.received[0]!.body);
    const payload = JSON.parse(hook.received[0]!.body);
    expect(payload).toEqual({
      type: 'migration-gate.after',
      runId: 1,
      migration: '001_accounts',
      environment: 'production',
      outcome: 'succeeded',
      files: ['001_accounts'],
      link: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/archives\/C0DEPLOYS\/p\d+$/),
      idempotencyKey: 'migration-gate-run-1-production-after-0',
    });
    const delivered = lastPost(h.slack, 'After production: webhook RELEASE_HOOK_URL');
    expect(delivered).toContain('✅ Delivered: the receiver answered HTTP 200.');
    expect(delivered).toMatch(/POST: HTTP 500 ·[\s\S]*POST: HTTP 200 ·/);
    expect(delivered).toContain('Idempotency-Key: `migration-gate-run-1-production-after-0`');

    // The merge waits for its gate; nothing was asked of GitHub yet.
    expect(github.received).toHaveLength(0);
    const GATE = 'Approval needed: merge acme/app#42 after production';
    expect(current(h.slack, GATE)).toContain('Approving runs this after: action of production in deploy.yml');
    expect(current(h.slack, CARD)).toMatch(/after: webhook RELEASE_HOOK_URL: delivered after 2 attempts/);
    await approve(GATE, 'U0REQUESTER');
    expect(ephemerals(h.slack).at(-1)).toContain('You requested this run; someone else must approve it.');
    await approve(GATE, 'U0OUTSIDER');
    expect(ephemerals(h.slack).at(-1)).toContain('You are not in a rule for production');
    expect(github.received).toHaveLength(0);
    await approve(GATE, 'U0DBA');

    expect(github.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/app/pulls/42',
      'PUT /repos/acme/app/pulls/42/merge',
    ]);
    expect(JSON.parse(github.received[1]!.body)).toEqual({ merge_method: 'squash', sha: 'abc1234' });
    for (const r of github.received) {
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.headers.accept).toBe('application/vnd.github+json');
      expect(r.headers['x-github-api-version']).toBe('2022-11-28');
    }
    expect(lastPost(h.slack, 'After production: merge acme/app#42')).toContain(
      '✅ Merged acme/app#42 (squash) as def4567.',
    );
    const card = current(h.slack, CARD);
    expect(card).toContain('Succeeded');
    expect(card).toContain('after: merge acme/app#42: merged');
    expect(lastPost(h.slack, 'Run #1 report')).toContain('merge acme/app#42 after production');
    const report = h.slack.files.find((f) => f.name === 'run-1-report.md')!.content.toString('utf8');
    expect(report).toContain('### After production (step 8): webhook RELEASE_HOOK_URL: ✅ done');
    expect(report).toMatch(/\| 1 \| [\d-]+ [\d:]+ UTC \| POST \| 500 \|/);
    expect(report).toContain('### After production (step 10): merge acme/app#42: ✅ done');

    // #engineering-alerts hears every notice, C0RELEASES only the end, each with the thread's link.
    const said = (channel: string) =>
      h.slack.messages.filter((m) => m.channel === channel && !m.threadTs).map((m) => textOf(m as never));
    const alerts = said('#engineering-alerts');
    expect(alerts.map((t) => t.split('\n')[0])).toEqual(
      [
        'Run #1 `001_accounts` started: staging → production. Open the thread',
        '⏸ Run #1 `001_accounts` is waiting for approval on production. Open the thread',
        '⏸ Run #1 `001_accounts` is waiting for approval on production. Open the thread',
        '✅ Run #1 `001_accounts` succeeded. Open the thread',
      ].map((t, i) => (i === 0 ? `🚀 ${t}` : t)),
    );
    expect(alerts[0]).toMatch(/<http:\/\/127\.0\.0\.1:\d+\/archives\/C0DEPLOYS\/p\d+\|Open the thread>/);
    expect(said('C0RELEASES').map((t) => t.split('\n')[0])).toEqual([
      '✅ Run #1 `001_accounts` succeeded. Open the thread',
    ]);
    expect(h.slack.callsTo('chat.getPermalink').length).toBeGreaterThanOrEqual(5);

    // Nothing secret reached Slack: no receiver or GitHub address, secret, token or database.
    const everything = JSON.stringify(h.slack.calls);
    for (const secret of [SECRET, TOKEN, hook.url.slice(7), github.url.slice(7), h.targets.production!])
      expect(everything).not.toContain(secret);
    const refused = await query<{ actor: string }>(
      h.stateUrl,
      "select actor from migration_gate_state.audit_events where action = 'click.refused' order by id",
    );
    expect(refused.map((r) => r.actor)).toEqual(['U0REQUESTER', 'U0OUTSIDER']);
  });

  it('a bot stopped in the middle of an action sends the webhook again with the same key and never merges twice', async () => {
    // As if the bot had died after sending, before it saved the result: the step is running, nobody owns the run.
    const cut = async (step: number) => {
      await query(
        h.stateUrl,
        "update migration_gate_state.runs set status = 'running', finished_at = null, version = version + 1 where id = 1",
      );
      await query(
        h.stateUrl,
        `update migration_gate_state.steps set status = 'running', finished_at = null where run_id = 1 and idx = ${step}`,
      );
      expect(await h.bot.service.reconcile()).toBe(1);
      await h.settle();
    };
    await cut(7);
    expect(hook.received).toHaveLength(3);
    expect(hook.received[2]!.headers['idempotency-key']).toBe('migration-gate-run-1-production-after-0');
    expect(hook.received[2]!.body).toBe(hook.received[0]!.body);
    expect(signatureValid(hook.received[2]!, SECRET)).toBe(true);

    await cut(9);
    expect(github.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/app/pulls/42',
      'PUT /repos/acme/app/pulls/42/merge',
      'GET /repos/acme/app/pulls/42',
    ]);
    expect(lastPost(h.slack, 'After production: merge acme/app#42')).toContain(
      '✅ acme/app#42 was already merged; it was not merged again.',
    );
    expect(current(h.slack, CARD)).toContain('Succeeded');
  });
});

describe('after: actions that cannot or need not be done, and actions for a failure', () => {
  let h: Harness;
  let hook: Receiver;
  let github: FakeGitHub;

  beforeAll(async () => {
    hook = await startReceiver([200]);
    github = await startFakeGitHub(TOKEN, {
      'acme/app#43': { mergeable: false, mergeable_state: 'dirty' },
      'acme/app#44': { merged: true, state: 'closed', merge_commit_sha: 'feedbeef' },
    });
    h = await startHarness({
      envs: ['staging'],
      migrations: {
        '001_accounts.sql': 'create table accounts (id bigint primary key);\n',
        '002_broken.sql': 'select 1 / 0;\n',
      },
      envYaml: {
        staging: `    after:
      - mergePullRequest: { repository: acme/app, number: 43, token: "\${GITHUB_TOKEN}" }
      - mergePullRequest: { repository: acme/app, number: 44, token: "\${GITHUB_TOKEN}" }
      - webhook: { url: "\${PAGER_HOOK_URL}", secret: "\${PAGER_HOOK_SECRET}" }
        on: failure
`,
      },
      extraEnv: {
        PAGER_HOOK_URL: hook.url,
        PAGER_HOOK_SECRET: SECRET,
        GITHUB_TOKEN: TOKEN,
        GITHUB_API_URL: github.url,
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await hook?.close();
    await github?.close();
  });

  it('a pull request that cannot be merged is refused with a sentence; one merged already is not merged again', async () => {
    await h.slash('001');
    await h.settle();
    expect(github.received.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/app/pulls/43',
      'GET /repos/acme/app/pulls/44',
    ]);
    expect(lastPost(h.slack, 'After staging: merge acme/app#43')).toContain(
      '❌ GitHub says acme/app#43 cannot be merged (mergeable_state: dirty): resolve it on GitHub (conflicts, required checks or reviews), then merge it there.',
    );
    expect(lastPost(h.slack, 'After staging: merge acme/app#44')).toContain(
      '✅ acme/app#44 was already merged; it was not merged again.',
    );
    const card = current(h.slack, CARD);
    expect(card).toContain('after: merge acme/app#43: failed');
    expect(card).toContain('after: merge acme/app#44: already merged');
    expect(card).toContain('Succeeded');
    expect(hook.received).toHaveLength(0);
  });

  it('a run that fails runs the failure actions before it ends, and the report keeps their results', async () => {
    await h.slash('002');
    await h.settle();
    expect(hook.received).toHaveLength(1);
    expect(signatureValid(hook.received[0]!, SECRET)).toBe(true);
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({
      runId: 2,
      environment: 'staging',
      outcome: 'failed',
      files: [],
      idempotencyKey: 'migration-gate-run-2-staging-after-2',
    });
    expect(github.received).toHaveLength(2); // no merge after a failure
    expect(current(h.slack, CARD)).toMatch(/❌ Failed: .*division by zero/);
    expect(lastPost(h.slack, 'After staging: webhook PAGER_HOOK_URL')).toContain('After staging failed');
    const report = h.slack.files.find((f) => f.name === 'run-2-report.md')!.content.toString('utf8');
    expect(report).toContain('### After staging (step 6): webhook PAGER_HOOK_URL: ✅ done');
  });
});
