import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BOT_TOKEN,
  ephemerals,
  type Harness,
  SIGNING_SECRET,
  startHarness,
  textOf,
} from '../support/harness.js';
import { pgPassword, query } from '../support/pg.js';

describe('what users type, and what must never leak', () => {
  let h: Harness;
  beforeAll(async () => {
    const wrong = new URL(inject('pgBaseUrl'));
    wrong.password = 'Wrong-Pass-4d2c';
    h = await startHarness({
      envs: ['staging', 'production', 'broken'],
      targetUrls: { broken: `${wrong}postgres` },
      migrations: {
        '001_base.sql': 'create table base (id int primary key);\n',
        '002_slow.sql': 'create table slow (id int);\nselect pg_sleep(1);\n',
      },
    });
  });
  afterAll(async () => h?.stop());

  const cases: [string, string, RegExp][] = [
    [
      'empty',
      '',
      /Tell me what to deploy, e\.g\. `\/deploy-migration 024_atomic_user_behavior_updates to staging`/,
    ],
    ['only spaces', '    ', /Tell me what to deploy/],
    ['unknown word', 'deploy 001', /I don't know the command "deploy"\. Name a migration/],
    [
      'unknown migration',
      '404_missing',
      /There is no migration "404_missing"\. Available: `001_base`, `002_slow`\./,
    ],
    [
      'unknown environment',
      '001 to prod',
      /There is no environment "prod"\. Environments in deploy\.yml: staging, production, broken\./,
    ],
    ['to without environment', '001 to', /Say which environment after "to"/],
    ['extra words', '001 to staging now', /I did not understand "now" after "to staging"/],
    ['extra spaces are fine for status', '  status   #999  ', /There is no run #999\./],
    ['bad run number', 'status seventeen', /Run numbers look like #17/],
    ['unicode', '001_bäse', /"001_bäse" is not a migration name/],
    ['emoji', '🚀', /I don't know the command "🚀"/],
    ['control characters', 'dr\u0000op\u0007', /I don't know the command "drop"/],
    ['backticks cannot break formatting', '`rm -rf`', /I don't know the command "rm"/],
    ['10 KB string', 'x'.repeat(10_240), /That command is 10,240 characters long/],
    ['help with junk', 'help me', /I did not understand "me" after "help"/],
  ];

  it.each(cases)('%s gets a clear ephemeral answer', async (_name, text, expected) => {
    const res = await h.slash(text);
    expect(res.status).toBe(200);
    await h.settle();
    const answer = ephemerals(h.slack).at(-1)!;
    expect(answer).toMatch(expected);
    expect(answer.length).toBeLessThan(3000);
  });

  it('help lists every command', async () => {
    await h.slash('help');
    await h.settle();
    const answer = ephemerals(h.slack).at(-1)!;
    for (const c of ['status [#run]', 'list', 'to &lt;environment&gt;']) expect(answer).toContain(c);
  });

  it('two runs on the same environment at once: one proceeds, the other is told who holds it', async () => {
    const before = h.slack.callsTo('response_url').length;
    await Promise.all([h.slash('002_slow to staging', 'U0ALICE'), h.slash('002_slow to staging', 'U0BOB')]);
    await h.settle();
    const answers = ephemerals(h.slack).slice(before);
    expect(answers).toHaveLength(1);
    const runs = await query<{ id: number; requested_by: string; status: string }>(
      h.stateUrl,
      "select id, requested_by, status from migration_gate_state.runs where migration = '002_slow'",
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('succeeded');
    expect(answers[0]).toContain(
      `staging is busy: run #${runs[0]!.id} started by <@${runs[0]!.requested_by}>`,
    );
    // What the holder is doing now, and that a run holds its environments until it ends (user trial: "is deploying
    // there" was said of a run only watching).
    expect(answers[0]).toMatch(
      /holds it until that run ends \(a run holds every environment it goes to\); it is now at staging \w+ \(\w+\)\. Wait for it to end/,
    );
    const ledger = await query(
      h.targets.staging!,
      "select id from migration_gate.applied_migrations where id = '002_slow'",
    );
    expect(ledger).toHaveLength(1);
    // the environment is free again once the run ended
    await h.slash('002_slow to production');
    await h.settle();
    expect(textOf(h.slack.callsTo('chat.update').at(-1)!.args)).toContain('Succeeded');
  });

  it('what users type comes back escaped; help shows its placeholders; the bot’s own mentions stay live', async () => {
    for (const [typed, shown] of [
      ['<!channel>', 'I don\'t know the command "&lt;!channel&gt;"'],
      ['001 to <!here>', 'There is no environment "&lt;!here&gt;"'],
      ['001 <https://evil.example|win> now', 'I did not understand "&lt;https://evil.example|win&gt; now"'],
      ['verify 001 on <@U0EVIL>', 'There is no environment "&lt;@u0evil&gt;"'],
    ]) {
      await h.slash(typed!);
      await h.settle();
      const answer = ephemerals(h.slack).at(-1)!;
      expect(answer).toContain(shown);
      expect(answer).not.toMatch(/<[!@h]/);
    }
    await h.slash('help');
    await h.settle();
    const help = ephemerals(h.slack).at(-1)!;
    expect(help).toContain('`/deploy-migration &lt;migration&gt; [to &lt;environment&gt;]`');
    expect(help).not.toContain('<migration>');
    // A mention the bot makes is a live mention, in the blocks people read (not only in the fallback text).
    await h.slash('001 to staging', 'U0CAROL');
    await h.settle();
    const [run] = await query<{ id: number }>(
      h.stateUrl,
      "select max(id) as id from migration_gate_state.runs where migration = '001_base'",
    );
    await h.slash(`verify #${run!.id}`, 'U0CAROL');
    await h.settle();
    const verify = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => String(c.args.text).startsWith('Verification on staging'))
      .at(-1)!;
    const blocks = verify.args.blocks as { text?: { text: string } }[];
    expect(blocks[0]!.text!.text).toContain('run now by <@U0CAROL>');
  });

  it('a request with a bad signature is refused and does nothing', async () => {
    const calls = h.slack.calls.length;
    const res = await fetch(`${h.bot.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-signature': 'v0=deadbeef',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      },
      body: 'command=%2Fdeploy-migration&text=001&user_id=U1&channel_id=C1',
    });
    expect(res.status).toBe(401);
    await h.settle();
    expect(h.slack.calls.length).toBe(calls);
  });

  it('no database password or token appears in any Slack call or log line', async () => {
    // A connection error is shown to the user, but never the URL or password behind it.
    await h.slash('001 to broken');
    await h.slash('list');
    await h.settle();
    const preflight = textOf(h.slack.callsTo('chat.postMessage').at(-1)!.args);
    expect(preflight).toContain(
      'broken: authentication failed. Check the user name and password in BROKEN_DATABASE_URL',
    );
    expect(ephemerals(h.slack).at(-1)).toContain('broken: authentication failed.');
    const password = pgPassword();
    const everything = JSON.stringify(h.slack.calls) + h.logs.join('\n');
    expect(h.slack.calls.length).toBeGreaterThan(20);
    expect(h.logs.length).toBeGreaterThan(5);
    for (const secret of [
      password,
      'Wrong-Pass-4d2c',
      BOT_TOKEN,
      SIGNING_SECRET,
      h.targets.staging!,
      h.stateUrl,
    ])
      expect(everything).not.toContain(secret);
  });
});
