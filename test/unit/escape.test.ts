/**
 * Every renderer, fed user- and file-supplied strings that Slack would act on (`<!channel>`, links, a typed
 * mention, `&`): what reaches mrkdwn is escaped, and only the mentions the bot itself makes stay live.
 */
import { describe, expect, it } from 'vitest';
import { applyReply, migrationList, preflightReply, statusList } from '../../src/slack/blocks.js';
import { checksReply, rollbackReply } from '../../src/slack/check-blocks.js';
import { HELP, parseSlashText } from '../../src/slack/command.js';
import { approvalCard } from '../../src/slack/gate-blocks.js';
import {
  acknowledgedAlert,
  alertMessage,
  monitorMessage,
  unavailableMessage,
} from '../../src/slack/monitor-blocks.js';
import { escKeepingMentions, type Message } from '../../src/slack/mrkdwn.js';
import { reportSummary } from '../../src/slack/report.js';
import { runCard } from '../../src/slack/run-card.js';
import {
  at,
  BAD,
  BAD_ESCAPED,
  check,
  gate,
  judged,
  mrkdwnOf,
  pgError,
  run,
  unescaped,
} from '../support/hostile.js';
import { stored } from '../support/stored-results.js';

const readings = [judged({}), judged({ key: 'x', unavailable: BAD }), judged({ key: 'y', quiet: BAD })];
const alert = alertMessage(run(), 'production', 'critical', readings, {
  oncall: 'S0ONCALL',
  alertId: 1,
});

const renderers: [string, Message][] = [
  ['run card (running)', runCard(run(), new Map([[2, gate]]), new Map([[3, BAD]]))],
  ...(['failed', 'cancelled', 'rejected', 'expired', 'rolled_back'] as const).map(
    (status): [string, Message] => [`run card (${status})`, runCard(run({ status }))],
  ),
  [
    'run report',
    reportSummary(
      {
        run: run({ status: 'failed', reason: BAD }),
        approvals: [{ ...gate.approvals[0]!, index: 2 }],
        results: stored(run(), [
          [
            0,
            {
              env: 'staging',
              ok: false,
              files: [],
              failure: {
                id: BAD,
                statements: 1,
                durationMs: 1,
                lockRetries: 0,
                statementsKept: 0,
                error: pgError,
              },
            },
          ],
        ]),
        checkpoints: [],
        alerts: [],
        metrics: [],
        plans: {},
      },
      { name: 'run-17-report.md', problem: BAD },
    ),
  ],
  ['approval card', approvalCard(run(), gate)],
  [
    'rollback approval card',
    approvalCard(run({ steps: run().steps.map((s) => ({ ...s, purpose: 'rollback' as const })) }), gate),
  ],
  [
    'checks reply',
    checksReply({
      env: 'staging',
      ok: false,
      results: [check('fail'), check('error')],
      summary: { passed: 0, total: 2, warnings: 0, blockersFailed: 2 },
      durationMs: 5,
    }),
  ],
  [
    'checks reply with a problem',
    checksReply({
      env: 'staging',
      ok: false,
      results: [],
      summary: { passed: 0, total: 0, warnings: 0, blockersFailed: 0 },
      durationMs: 0,
      problem: BAD,
    }),
  ],
  [
    'rollback reply',
    rollbackReply({
      env: 'staging',
      ok: false,
      files: [{ id: BAD, statements: 1, durationMs: 1, lockRetries: 0 }],
      failure: { id: BAD, statements: 2, durationMs: 1, lockRetries: 0, error: pgError, statementsKept: 0 },
      catalogRestored: false,
      countsSummary: BAD,
      problem: BAD,
    }),
  ],
  [
    'preflight reply',
    preflightReply({
      env: 'staging',
      ok: false,
      serverVersion: BAD,
      pending: [{ id: BAD, checksum: 'b'.repeat(64), statements: 1, outsideTransaction: BAD }],
      alreadyApplied: false,
      drift: [],
      unknown: [BAD],
      outOfOrder: [BAD],
      problem: BAD,
    }),
  ],
  [
    'preflight reply (parse error)',
    preflightReply({
      env: 'staging',
      ok: false,
      pending: [],
      alreadyApplied: false,
      drift: [],
      unknown: [],
      outOfOrder: [],
      parseError: pgError,
    }),
  ],
  [
    'apply reply',
    applyReply({
      env: 'staging',
      ok: false,
      files: [{ id: BAD, statements: 1, durationMs: 1, lockRetries: 0, outsideTransaction: BAD }],
      failure: {
        id: BAD,
        statements: 1,
        durationMs: 1,
        lockRetries: 0,
        error: pgError,
        statementsKept: 1,
        outsideTransaction: BAD,
      },
      diffSummary: BAD,
      countsSummary: BAD,
      changes: [{ what: 'tables', added: [BAD], removed: [BAD], changed: [BAD] }],
      problem: BAD,
    }),
  ],
  ['status list', statusList([run(), run({ status: 'succeeded' })])],
  [
    'migration list',
    migrationList(['staging'], [{ id: BAD, checksum: 'c'.repeat(64), cells: [{ state: 'pending' }] }], [BAD]),
  ],
  [
    'monitoring message',
    monitorMessage(17, {
      env: 'production',
      plan: BAD,
      done: 1,
      missed: 0,
      total: 3,
      latest: { at, judged: readings },
    }),
  ],
  ['critical alert', alert],
  ['acknowledged alert', acknowledgedAlert(alert, 'U0DBA', false)],
  ['metrics that cannot be measured', unavailableMessage('production', [judged({ unavailable: BAD })])],
];

describe('mrkdwn escaping across every renderer', () => {
  it.each(renderers)(
    '%s: user and file text is escaped, only the bot’s mentions stay live',
    (_n, message) => {
      const texts = mrkdwnOf(message);
      expect(texts.flatMap(unescaped)).toEqual([]);
      // the hostile text was rendered (escaped in mrkdwn, as is in a table's raw_text), not dropped
      expect(JSON.stringify(message)).toContain('!channel');
    },
  );

  it('the bot’s own mentions stay live (not shown as text)', () => {
    const text = (m: Message) => mrkdwnOf(m).join('\n');
    expect(text(runCard(run()))).toContain('requested by <@U0REQUESTER>');
    expect(text(approvalCard(run(), gate))).toContain('• <@U0DBA>: ');
    expect(text(alert)).toContain('<!subteam^S0ONCALL> 🔴');
    const verify = checksReply(
      {
        env: 'staging',
        ok: true,
        results: [check('pass')],
        summary: { passed: 1, total: 1, warnings: 0, blockersFailed: 0 },
        durationMs: 1,
      },
      'Verification on staging, run now by <@U0DBA>',
    );
    expect(verify.blocks.map((b) => JSON.stringify(b)).join()).toContain('run now by <@U0DBA>');
    // the system acts as nobody: no broken mention of "migration-gate"
    expect(text(runCard(run({ status: 'cancelled', endedBy: 'migration-gate' })))).not.toContain(
      '<@migration-gate>',
    );
  });

  it('what a user typed is echoed escaped', () => {
    for (const typed of ['<!channel>', '001 <!here> now', 'verify <https://x|y>', 'status <@U0EVIL>']) {
      const r = parseSlashText(typed);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(unescaped(r.message)).toEqual([]);
    }
    const r = parseSlashText('<!channel>');
    expect(!r.ok && r.message).toContain('"&lt;!channel&gt;"');
  });

  it('refusals keep the bot’s mentions and escape the rest (roles from deploy.yml, environments typed)', () => {
    expect(
      escKeepingMentions('Only <@U0REQUESTER> or a <!channel> & <@U0x> <!subteam^S0ONCALL> can cancel it.'),
    ).toBe('Only <@U0REQUESTER> or a &lt;!channel&gt; &amp; &lt;@U0x&gt; <!subteam^S0ONCALL> can cancel it.');
  });

  it('help shows its placeholders as text, not as links', () => {
    expect(HELP).toContain('`/deploy-migration &lt;migration&gt; [to &lt;environment&gt;]`');
    expect(unescaped(HELP)).toEqual([]);
    expect(unescaped(mrkdwnOf(statusList([])).join('\n'))).toEqual([]);
  });

  it('a hostile string is escaped exactly once', () => {
    expect(
      mrkdwnOf(
        checksReply({
          env: 'staging',
          ok: false,
          results: [],
          summary: { passed: 0, total: 0, warnings: 0, blockersFailed: 0 },
          durationMs: 0,
          problem: BAD,
        }),
      ).join('\n'),
    ).toContain(BAD_ESCAPED);
  });
});
