/** Requests Slack never sends, signed as if it had: none may stop the bot, each gets an answer or a sentence. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { sendInteraction, sendSlashCommand, signSlackRequest } from '../../src/sandbox/sign.js';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import {
  BOT_TOKEN,
  buttonsOf,
  CHANNEL,
  ephemerals,
  type Harness,
  SIGNING_SECRET,
  startHarness,
  textOf,
} from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';
import { type Started, start, until } from '../support/started.js';

const json = (v: unknown) => `payload=${encodeURIComponent(JSON.stringify(v))}`;
const user = { id: 'U0REQUESTER' };
const MALFORMED: [string, string, string?][] = [
  ['payload=null', 'payload=null'],
  ['a payload that is not JSON', 'payload=%7Bnot-json'],
  ['a payload that is a number', 'payload=5'],
  ['a payload that is a list', 'payload=%5B%5D'],
  ['JSON without a type', json({ user, channel: { id: CHANNEL } })],
  ['a block_actions with no actions', json({ type: 'block_actions', user, channel: { id: CHANNEL } })],
  ['a block_actions with an empty list', json({ type: 'block_actions', user, actions: [] })],
  ['a block_actions whose action is null', json({ type: 'block_actions', user, actions: [null] })],
  ['a view_submission with no view', json({ type: 'view_submission', user })],
  ['an event body that is null', 'null', 'application/json'],
];

describe('no request stops the bot (a real bot process in HTTP mode)', () => {
  let slack: FakeSlack;
  let bot: Started;
  beforeAll(async () => {
    slack = await startFakeSlack({ botToken: BOT_TOKEN });
    const dir = mkdtempSync(join(tmpdir(), 'mg-faults-'));
    writeFileSync(join(dir, '001_base.sql'), 'create table base (id int);\n');
    writeFileSync(
      join(dir, 'deploy.yml'),
      'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
    );
    bot = await start(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        DATABASE_URL: await createTestDatabase('mg_faults_state'),
        STAGING_DATABASE_URL: await createTestDatabase('mg_faults_staging'),
        DEPLOY_CONFIG: join(dir, 'deploy.yml'),
      },
      'Slack mode',
    );
  });
  afterAll(async () => {
    if (bot?.child.exitCode === null) process.kill(-(bot.child as ChildProcess).pid!, 'SIGKILL');
    await slack?.close();
  });

  it.each(MALFORMED)('%s is answered 400 and logged; the bot keeps answering', async (_name, body, type) => {
    const res = await fetch(`${bot.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': type ?? 'application/x-www-form-urlencoded',
        ...signSlackRequest(SIGNING_SECRET, body),
      },
      body,
      signal: AbortSignal.timeout(15_000),
    }).catch((e: Error) => ({ status: `no answer (${e.message}); bot exit code ${bot.child.exitCode}` }));
    expect(res.status).toBe(400);
    expect(bot.child.exitCode).toBeNull();
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
    const before = slack.callsTo('response_url').length;
    const help = await sendSlashCommand(bot.url, SIGNING_SECRET, {
      command: '/deploy-migration',
      text: 'help',
      user_id: user.id,
      channel_id: CHANNEL,
      response_url: slack.responseUrl(user.id, CHANNEL),
    });
    expect(help.status).toBe(200);
    const answer = await until(
      'the help answer',
      async () =>
        slack
          .callsTo('response_url')
          .slice(before)
          .map((c) => textOf(c.args))[0],
    );
    expect(answer).toContain('deploys PostgreSQL migrations');
    expect(bot.output.join('')).toContain('refused a signed Slack request Bolt cannot handle');
  });
});

describe('ids and text PostgreSQL cannot hold get a sentence, never "Something went wrong"', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      migrations: { '001_base.sql': 'create table base (id int);\n' },
      envYaml: { staging: '    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n' },
    });
    await h.slash('001');
    await h.settle();
  });
  afterAll(async () => h?.stop());

  const approveValue = () => {
    const card = [...h.slack.calls]
      .reverse()
      .find((c) =>
        buttonsOf((c.args.blocks as unknown[]) ?? []).some((b) => b.action_id === ACTIONS.approve),
      );
    return JSON.parse(
      buttonsOf(card!.args.blocks as unknown[]).find((b) => b.action_id === ACTIONS.approve)!.value,
    );
  };
  const clickAs = (id: string, value: unknown, actionId: string = ACTIONS.approve) =>
    sendInteraction(h.bot.url!, SIGNING_SECRET, {
      type: 'block_actions',
      user: { id },
      channel: { id: CHANNEL },
      trigger_id: 'trigger-1',
      response_url: h.slack.responseUrl(id, CHANNEL),
      actions: [{ type: 'button', action_id: actionId, block_id: 'x', value: JSON.stringify(value) }],
    });
  /** The ephemeral answer to `act` (Bolt posts it after the ack, so wait for it). */
  const answerTo = async (act: () => Promise<unknown>) => {
    const before = ephemerals(h.slack).length;
    await act();
    return until('an answer', async () => ephemerals(h.slack)[before]?.split('\n')[0]); // its text
  };
  const everything = () => h.slack.calls.map((c) => textOf(c.args)).join('\n');
  const approvals = () => query(h.stateUrl, 'select * from migration_gate_state.approvals');

  it('a run number above 2^31-1 in a button value', async () => {
    const value = approveValue();
    for (const r of [2 ** 31, 2 ** 53 - 1]) {
      expect(await answerTo(() => clickAs('U0DBA', { ...value, r }))).toBe(
        "That button's data was not understood (it names a run number no run can have: run numbers stop at 2,147,483,647), so nothing was recorded. Use the latest card.",
      );
    }
    expect(await approvals()).toHaveLength(0);
    expect(everything()).not.toContain('Something went wrong');
  });

  it('a NUL character in a user id, in a slash command or a click', async () => {
    expect(await answerTo(() => h.slash('help', 'U0DBA\u0000'))).toBe(
      'That command was not understood (its user id is not one Slack sends), so nothing was done.',
    );
    expect(await answerTo(() => clickAs('U0DBA\u0000', approveValue()))).toContain(
      "That button's data was not understood (its user id is not one Slack sends)",
    );
    expect(await approvals()).toHaveLength(0);
    expect(everything()).not.toContain('Something went wrong');
  });

  it('a NUL character in a modal reason is dropped and the rejection recorded', async () => {
    await clickAs('U0DBA', approveValue(), ACTIONS.reject);
    await h.settle();
    const res = await h.submitModal('U0DBA', 'not\u0000 in this\u0000 window');
    expect(res.status).toBe(200);
    await h.settle();
    expect(await approvals()).toMatchObject([
      { user_id: 'U0DBA', decision: 'reject', reason: 'not in this window' },
    ]);
    expect(everything()).toContain('*Rejected* by <@U0DBA>');
    expect(everything()).not.toContain('Something went wrong');
  });
});
