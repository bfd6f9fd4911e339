/**
 * The run report over representative runs: the file applied on each environment in migration order with its
 * sha256 (never in the order jsonb returns the checksums), each check exactly once, every monitoring metric with
 * its last and worst reading against its lines, alerts, failures and rollbacks; and the thread's summary.
 */
import { describe, expect, it } from 'vitest';
import { reportSummary } from '../../src/slack/report.js';
import { reportMarkdown } from '../../src/slack/report-markdown.js';
import {
  alertOf,
  applied,
  check,
  checkpoints,
  data,
  deploySteps,
  endedRun,
  ids,
  preflight,
  rolledBack,
  sha,
  verified,
} from '../support/report-runs.js';

/** The rows of the first table after the heading that starts with `heading`, as cells. */
function tableAfter(md: string, heading: string): string[][] {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  expect(start, `no heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const first = lines.findIndex((l, i) => i > start && l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first + 2; lines[i]?.startsWith('|'); i++) rows.push(lines[i]!.slice(2, -2).split(' | '));
  return rows;
}
const textOf = (m: { text: string; blocks: unknown[] }) =>
  [m.text, ...(m.blocks as { text?: { text: string } }[]).map((b) => b.text?.text ?? '')].join('\n');
const count = (text: string, part: string) => text.split(part).length - 1;

const CHECKS = [
  check('RPC deployed', 'pass', {
    kind: 'function',
    target: 'exists with 5 args',
    actual: 'exists with 5 args',
  }),
  check('EXECUTE granted', 'pass', { kind: 'grant' }),
  check('no orphans', 'pass'),
  check('workspace isolation', 'pass'),
  check('5 concurrent calls counted', 'pass', { target: '= 5', actual: '5' }),
  check('FK count', 'fail', { severity: 'warning', target: '>= 45', actual: '7' }),
];

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
    results: new Map<number, unknown>([
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
      ['6 · production approval', '@U0DBA', 'approved', '2026-03-03 10:10:00 UTC', ' '],
      [
        '6 · production approval',
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
      '<@U0PO> approved with conditions 2026-03-03 10:11 UTC for production: watch | the queue',
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
    results: new Map<number, unknown>([
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

describe('a critical monitoring reading that raised an alert', () => {
  const files = ids(2);
  const rows = checkpoints(
    3,
    {
      error_rate: [0, 26.9, 0.05, 0.2],
      deadlocks: [0, 0, 0, 0],
      queue_depth: [0, 9, 2, undefined],
      mean_query_ms: [11, 13, 11.5, 12.5],
    },
    5,
  );
  const run = endedRun({ files, steps: deploySteps('staging') });
  const d = data(run, {
    results: new Map<number, unknown>([
      [0, preflight('staging', files)],
      [1, applied('staging', files)],
      [2, verified('staging', CHECKS.slice(0, 2))],
    ]),
    checkpoints: rows,
    alerts: [alertOf(7, rows[1]!, 'critical', 'U0ONCALL'), alertOf(8, rows[3]!, 'critical')],
  });
  const md = reportMarkdown(d);

  it('shows every metric: last, worst, its lines with units, readings over a line, alerts raised', () => {
    expect(
      tableAfter(md, '### Monitoring on staging (step 4): plan `short`, 5 of 5 checkpoints, 1 missed'),
    ).toEqual([
      [
        'error_rate (counts at 2 in a row, rollback trigger)',
        '⚠️ 0.2%',
        '🔴 26.9%',
        '> 0.1%',
        '> 1%',
        '2 of 4 readings (1 critical, 1 warn)',
        'none', // over the critical line once, but it counts only at 2 in a row: the alert was for the others
      ],
      ['deadlocks', '0', '0', '—', '> 0', '0 of 4 readings', 'none'],
      ['queue_depth', '— (no value)', '🔴 9', '—', '> 5', '1 of 3 readings (1 critical)', '1 critical'],
      [
        'mean_query_ms',
        '🔴 12.5 ms',
        '🔴 13 ms',
        '—',
        '> 12 (> baseline + 20%)',
        '2 of 4 readings (2 critical)',
        '2 critical',
      ],
    ]);
  });

  it('lists the alerts with their readings and who acknowledged them', () => {
    expect(tableAfter(md, '## Alerts')).toEqual([
      [
        '2026-03-03 10:02:00 UTC',
        'staging',
        'critical',
        'queue_depth 9 (> 5); mean_query_ms 13 ms (> 12 (> baseline + 20%))',
        '@U0ONCALL at 2026-03-03 10:02:00 UTC',
      ],
      [
        '2026-03-03 10:04:00 UTC',
        'staging',
        'critical',
        'mean_query_ms 12.5 ms (> 12 (> baseline + 20%))',
        'no',
      ],
    ]);
  });

  it('the summary counts readings over a line and alerts: "5/5 checkpoints" alone would hide them', () => {
    expect(textOf(reportSummary(d))).toContain(
      '✅ monitor 5/5 checkpoints, 5 readings over a line (4 critical), 2 alerts',
    );
  });

  it('matches the snapshot', () => {
    expect(md).toMatchSnapshot();
  });
});

describe('a rolled-back run', () => {
  const files = ids(3);
  const run = endedRun({
    files,
    status: 'rolled_back',
    endedBy: 'U0DBA',
    reason: 'orphans found',
    steps: [
      ...deploySteps('staging', { verify: 'failed', monitor: 'skipped' }).slice(0, 3),
      { env: 'staging', name: 'approval', status: 'succeeded', purpose: 'rollback' },
      { env: 'staging', name: 'rollback', status: 'succeeded', purpose: 'rollback', durationMs: 40 },
      { env: 'staging', name: 'monitor', status: 'skipped' },
    ],
  });
  const d = data(run, {
    approvals: [{ index: 3, user: 'U0DBA', decision: 'approve', at: '2026-03-03T10:15:00.000Z' }],
    results: new Map<number, unknown>([
      [0, preflight('staging', files)],
      [1, applied('staging', files)],
      [2, verified('staging', [check('no orphans', 'fail')])],
      [4, rolledBack('staging', files)],
    ]),
  });
  const md = reportMarkdown(d);

  it('lists what was applied, the failed check once, and what the rollback undid, newest first', () => {
    expect(tableAfter(md, '### Files applied on staging (3,').map((r) => r[1])).toEqual(
      files.map((f) => `\`${f}.sql\``),
    );
    expect(count(md, '| no orphans |')).toBe(1);
    expect(tableAfter(md, '### Rollback on staging (step 5): ✅ done').map((r) => r.slice(1, 3))).toEqual(
      [...files].reverse().map((f) => [`\`${f}.down.sql\``, `\`${f}.sql\` ${sha(f)}`]),
    );
    expect(md).toContain('The catalog now equals the catalog before apply.');
    expect(md).toContain('- **Status:** ↩️ rolled back by @U0DBA: orphans found');
    expect(tableAfter(md, '## Decisions')).toEqual([
      ['4 · staging approval', '@U0DBA', 'approved', '2026-03-03 10:15:00 UTC', ' '],
    ]);
    expect(md).toMatchSnapshot();
  });

  it('the summary says what was rolled back', () => {
    const text = textOf(
      reportSummary(d, { name: 'run-42-report.md', problem: 'An API error occurred: not_in_channel' }),
    );
    expect(text).toContain('↩️ Rolled back by <@U0DBA>: orphans found');
    expect(text).toContain('✅ rolled back 3 files');
    expect(text).toContain('<@U0DBA> approved 2026-03-03 10:15 UTC for the rollback on staging');
    expect(text).toContain('⚠️ The full report could not be uploaded (An API error occurred: not_in_channel)');
    expect(text).not.toContain('attached below');
  });
});
