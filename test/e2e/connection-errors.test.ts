/**
 * A database the bot cannot reach: in Slack, the environment, its variable and the kind of failure, never the host,
 * port, user or database name; the full error is in the log (without passwords).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { ephemerals, type Harness, startHarness, textOf } from '../support/harness.js';
import { pgPassword, query } from '../support/pg.js';

const SENTENCES: Record<string, string> = {
  nohost: 'nohost: the database host cannot be resolved. Check the host name in NOHOST_DATABASE_URL',
  refused:
    'refused: the database server refused the connection. Check that PostgreSQL is running and that the host and port in REFUSED_DATABASE_URL are right',
  badpass: 'badpass: authentication failed. Check the user name and password in BADPASS_DATABASE_URL',
  nodb: 'nodb: the database does not exist. Check the database name in NODB_DATABASE_URL',
};

describe('connection errors in Slack', () => {
  let h: Harness;
  let refusedPort: number;
  const base = () => new URL(inject('pgBaseUrl'));
  beforeAll(async () => {
    refusedPort = await freePort();
    const wrong = base();
    wrong.password = 'Wrong-Pass-77e1';
    h = await startHarness({
      envs: ['staging', 'nohost', 'refused', 'badpass', 'nodb'],
      targetUrls: {
        nohost: 'postgres://orders_app:Pass-91ab@db-7f3a.invalid:5432/orders_prod',
        refused: `postgres://orders_app:Pass-91ab@127.0.0.1:${refusedPort}/orders_prod`,
        badpass: `${wrong}postgres`,
        nodb: `${base()}no_such_db_4c1d`,
      },
      migrations: {
        '001_base.sql': 'create table base (id int);\n',
        '001_base.checks.yml': '- { name: answers, sql: "select 1", expect: 1 }\n',
      },
      envYaml: { staging: '    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n' },
    });
  });
  afterAll(async () => h?.stop());

  /** Everything a person reads in Slack: every message, update, ephemeral and modal. */
  const read = () => h.slack.calls.map((c) => textOf(c.args)).join('\n');

  it('list names each environment and what failed', async () => {
    await h.slash('list');
    await h.settle();
    const answer = ephemerals(h.slack).at(-1)!;
    for (const sentence of Object.values(SENTENCES)) expect(answer).toContain(sentence);
  });

  it('on-demand verify says the same for each environment', async () => {
    for (const [env, sentence] of Object.entries(SENTENCES)) {
      await h.slash(`verify 001 on ${env}`);
      await h.settle();
      expect(ephemerals(h.slack).at(-1)).toContain(sentence);
    }
  });

  /** Run `fn` while staging's database is renamed away (what a dropped or mistyped database looks like). */
  async function withoutStaging(fn: () => Promise<void>) {
    const dbName = new URL(h.targets.staging!).pathname.slice(1);
    await query(`${base()}postgres`, `alter database ${dbName} rename to ${dbName}_gone`);
    try {
      await fn();
    } finally {
      await query(`${base()}postgres`, `alter database ${dbName}_gone rename to ${dbName}`);
    }
    expect(read()).not.toContain(dbName);
  }
  const STAGING_GONE =
    'staging: the database does not exist. Check the database name in STAGING_DATABASE_URL (the bot log has the full error).';

  it('preflight on a database that does not exist', async () => {
    await withoutStaging(async () => {
      await h.slash('001 to staging');
      await h.settle();
    });
    const preflight = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).startsWith('Preflight on staging'))
      .at(-1)!;
    expect(textOf(preflight.args)).toContain(STAGING_GONE);
  });

  it('apply on a database that went away after preflight', async () => {
    await h.slash('001 to staging');
    await h.settle();
    const before = h.slack.calls.length;
    await withoutStaging(async () => {
      await h.click('Approval needed for staging', ACTIONS.approve, 'U0DBA');
      await h.settle();
    });
    const apply = h.slack.calls.slice(before).find((c) => String(c.args.text).startsWith('Apply on staging'));
    expect(apply && textOf(apply.args)).toContain(STAGING_GONE);
  });

  it('no host, port, user or database name reaches Slack; the log has the full errors, without passwords', () => {
    const said = read();
    const { hostname, port, username } = base();
    for (const secret of [
      'db-7f3a.invalid',
      'orders_app',
      'orders_prod',
      'no_such_db_4c1d',
      `:${refusedPort}`,
      String(refusedPort),
      `${hostname}:${port}`,
      `"${username}"`,
      'ENOTFOUND',
      'ECONNREFUSED',
    ])
      expect(said).not.toContain(secret);
    const log = h.logs.join('\n');
    expect(log).toMatch(/ENOTFOUND|EAI_AGAIN/);
    for (const detail of ['ECONNREFUSED', '28P01', '3D000', 'no_such_db_4c1d', 'NOHOST_DATABASE_URL'])
      expect(log).toContain(detail);
    for (const secret of ['Pass-91ab', 'Wrong-Pass-77e1', pgPassword()])
      expect(log + said).not.toContain(secret);
  });
});
