/** Counts in Slack text read as English: "1 statement", "3 statements", never "statement(s)". */
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/deploy/checks.js';
import { applyReply, preflightReply } from '../../src/slack/blocks.js';
import { checksReply, rollbackReply } from '../../src/slack/check-blocks.js';
import { progressText } from '../../src/slack/monitor-blocks.js';
import type { Message } from '../../src/slack/mrkdwn.js';

const text = (m: Message) => JSON.stringify(m.blocks);
const file = (n: number) => ({ id: '024_x', statements: n, durationMs: 5, lockRetries: n });
const error = { message: 'boom', file: '024_x.sql', line: 1, column: 1 };
const pass = (i: number): CheckResult => ({
  name: `c${i}`,
  kind: 'sql',
  severity: 'blocker',
  source: 'sql',
  status: 'pass',
  target: '0',
  actual: '0',
  durationMs: 1,
});

describe('plurals', () => {
  it.each([
    [1, '1 statement', '1 lock retry'],
    [3, '3 statements', '3 lock retries'],
  ])('%i: %s, %s', (n, statements, retries) => {
    const shown = [
      preflightReply({
        env: 's',
        ok: true,
        pending: [{ id: '024_x', checksum: 'a'.repeat(64), statements: n }],
        alreadyApplied: false,
        drift: [],
        unknown: [],
        outOfOrder: [],
      }),
      applyReply({ env: 's', ok: true, files: [file(n)] }),
      rollbackReply({ env: 's', ok: true, files: [file(n)] }),
    ].map(text);
    for (const t of shown) expect(t).toContain(statements);
    expect(shown[1]).toContain(retries);
    expect(shown[2]).toContain(retries);
    const failed = text(
      applyReply({
        env: 's',
        ok: false,
        files: [],
        failure: { ...file(n), error, statementsKept: n, outsideTransaction: 'CREATE INDEX CONCURRENTLY' },
      }),
    );
    expect(failed).toContain(`with ${retries}`);
    expect(failed).toContain(`${statements} before the failing one ${n === 1 ? 'stays' : 'stay'} applied`);
    expect(shown.join() + failed).not.toMatch(/\(s\)|1 statements|1 lock retries/);
  });

  it('folded checks and checkpoints', () => {
    const results = Array.from({ length: 26 }, (_, i) => pass(i));
    const summary = { passed: 26, total: 26, warnings: 0, blockersFailed: 0 };
    expect(text(checksReply({ env: 's', ok: true, results, summary, durationMs: 1 }))).toContain(
      '1 more passing check not shown',
    );
    expect(progressText({ env: 's', plan: 'p', done: 1, missed: 0, total: 1 })).toBe('1/1 checkpoint');
    expect(progressText({ env: 's', plan: 'p', done: 1, missed: 1, total: 3 })).toBe(
      '2/3 checkpoints, 1 missed',
    );
  });
});
