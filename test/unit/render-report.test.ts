/**
 * The run report over representative runs (1/2): a 100-file run over two environments and a failed apply. The
 * files applied on each environment in migration order with their sha256 (never in the order jsonb returns the
 * checksums), each check exactly once, every decision, and the thread's summary.
 */
import { describe, expect, it } from 'vitest';
import { reportSummary } from '../../src/slack/report.js';
import { reportMarkdown } from '../../src/slack/report-markdown.js';
import {
  applied,
  CHECKS,
  checkpoints,
  count,
  data,
  deploySteps,
  endedRun,
  ids,
  preflight,
  sha,
  tableAfter,
  textOf,
  verified,
} from '../support/report-runs.js';
import { stored } from '../support/stored-results.js';

describe('a 100-file run over staging and production', () => {
  const files = ids(100);
  const run = endedRun({
    files,
    steps: [
      ...deploySteps('staging'),
      ...deploySteps('production').flatMap((s) =>
        s.name === 'apply' ? [{ ...s, name: 'approval' as const }, s] : [s],
      ),
    ],
  });
  const d = data(run, {
    approvals: [
      { index: 5, user: 'U0DBA', decision: 'approve', at: '2026-03-03T10:10:00.000Z' },
      {
        index: 5,
        user: 'U0PO',
        decision: 'conditions',
        reason: 'watch | the queue',
        at: '2026-03-03T10:11:00.000Z',
      },
    ],
    results: stored(run, [
      [0, preflight('staging', files)],
      [1, applied('staging', files)],
      [2, verified('staging', CHECKS)],
      [4, preflight('production', files.slice(40))],
      [6, applied('production', files.slice(40))],
      [7, verified('production', CHECKS)],
    ]),
    checkpoints: [
      ...checkpoints(
        3,
        { error_rate: [0, 0], deadlocks: [0, 0], queue_depth: [1, 2], mean_query_ms: [10, 11] },
        2,
      ),
      ...checkpoints(8, { error_rate: [0], deadlocks: [0], queue_depth: [0], mean_query_ms: [9] }, 1),
    ],
  });
  const md = reportMarkdown(d);

  it('lists exactly the files applied on each environment, in migration order, with their sha256', () => {
    const row = (id: string, i: number) => [String(i + 1), `\`${id}.sql\``, sha(id)];
    expect(
      tableAfter(md, '### Files applied on staging (100, in migration order)').map((r) => r.slice(0, 3)),
    ).toEqual(files.map(row));
    expect(
      tableAfter(md, '### Files applied on production (60, in migration order)').map((r) => r.slice(0, 3)),
    ).toEqual(files.slice(40).map(row));
    expect(tableAfter(md, '### Files applied on staging')[9]![6]).toBe(
      'outside a transaction (CREATE INDEX CONCURRENTLY)',
    );
  });

  it('shows each check once per verify step, with target, actual and status', () => {
    for (const c of CHECKS) expect(count(md, `| ${c.name} |`)).toBe(2);
    const rows = tableAfter(md, '### Verification on production (step 8): 5/6 pass, 1 warning');
    expect(rows.map((r) => r[0])).toEqual(CHECKS.map((c) => c.name));
    expect(rows[5]).toEqual(['FK count', 'sql', 'warning', '>= 45', '7', '⚠️ fail (warning)', '7 ms']);
  });

  it('records every decision with who, when and why, and every step with its duration', () => {
    expect(tableAfter(md, '## Decisions')).toEqual([
      ['6 · deploy to production', '@U0DBA', 'approved', '2026-03-03 10:10:00 UTC', ' '],
      [
        '6 · deploy to production',
        '@U0PO',
        'approved with conditions',
        '2026-03-03 10:11:00 UTC',
        'watch \\| the queue',
      ],
    ]);
    expect(tableAfter(md, '## Steps')).toHaveLength(9);
    expect(tableAfter(md, '## Steps')[0]).toEqual([
      '1',
      'staging',
      'preflight',
      '✅ succeeded',
      '2026-03-03 10:00:00 UTC',
      '120 ms',
      ' ',
    ]);
  });

  it('summarises in the thread: one line per environment, counts, decisions, where the whole is', () => {
    const summary = reportSummary(d, { name: 'run-42-report.md' });
    const text = textOf(summary);
    expect(summary.text).toBe('Run #42 report: succeeded');
    expect(text).toContain(
      '*staging:*  ✅ preflight  ·  ✅ 100 files applied  ·  ✅ verify 5/6 pass, 1 warning  ·  ✅ monitor 2/2 checkpoints',
    );
    expect(text).toContain('*production:*  ✅ preflight  ·  ✅ approval  ·  ✅ 60 files applied');
    expect(text).toContain(
      '<@U0PO> approved with conditions 2026-03-03 10:11 UTC for deploy to production: watch | the queue',
    );
    expect(text).toContain('attached below: `run-42-report.md`');
    for (const c of CHECKS) expect(text).not.toContain(c.name);
    expect(summary.blocks.length).toBeLessThanOrEqual(5);
  });
});

describe('a failed apply', () => {
  const files = ids(3);
  const error = {
    code: 'P0001',
    message: 'backfill refused',
    where: 'PL/pgSQL function inline_code_block line 1 at RAISE',
    file: `${files[2]}.sql`,
    line: 1,
    column: 1,
    statement: 1,
  };
  const run = endedRun({
    files,
    status: 'failed',
    reason: `${files[2]}.sql:1:1: P0001 backfill refused`,
    steps: deploySteps('staging', { apply: 'failed', verify: 'skipped', monitor: 'skipped' }),
  });
  const d = data(run, {
    results: stored(run, [
      [0, preflight('staging', files)],
      [
        1,
        applied('staging', files.slice(0, 2), {
          ok: false,
          failure: { id: files[2]!, statements: 1, durationMs: 3, lockRetries: 0, statementsKept: 0, error },
          catalogUnchanged: false,
        }),
      ],
    ]),
  });
  const md = reportMarkdown(d);

  it('lists the files that were applied, then the failing one with the PostgreSQL error and its CONTEXT', () => {
    expect(tableAfter(md, '### Files applied on staging (2,').map((r) => r[1])).toEqual(
      files.slice(0, 2).map((id) => `\`${id}.sql\``),
    );
    expect(md).toContain(
      `**Failed:** \`${files[2]}.sql\` (sha256 ${sha(files[2]!)}) after 3 ms with 0 lock retries`,
    );
    expect(md).toContain(
      'ERROR P0001: backfill refused\nCONTEXT: PL/pgSQL function inline_code_block line 1 at RAISE',
    );
    expect(md).toContain('Its transaction was rolled back; the files before it stay applied.');
    expect(md).toContain(`- **Status:** ❌ failed: ${files[2]}.sql:1:1: P0001 backfill refused`);
    expect(md).not.toContain('### Verification');
  });

  it('says so in the summary', () => {
    expect(textOf(reportSummary(d))).toContain(
      `❌ apply: 2 files applied, then \`${files[2]}.sql\` failed  ·  ⏭️ verify  ·  ⏭️ monitor`,
    );
  });
});
