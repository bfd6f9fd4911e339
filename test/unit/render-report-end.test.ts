/**
 * The run report over representative runs (2/2): a critical monitoring reading that raised alerts (every metric
 * with its last and worst reading against its lines) and a rolled-back run; snapshots of both documents.
 */
import { describe, expect, it } from 'vitest';
import { reportSummary } from '../../src/slack/report.js';
import { reportMarkdown } from '../../src/slack/report-markdown.js';
import {
  alertOf,
  applied,
  CHECKS,
  check,
  checkpoints,
  count,
  data,
  deploySteps,
  endedRun,
  ids,
  preflight,
  rolledBack,
  sha,
  tableAfter,
  textOf,
  verified,
} from '../support/report-runs.js';
import { stored } from '../support/stored-results.js';

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
    results: stored(run, [
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
    results: stored(run, [
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
      ['4 · rollback on staging', '@U0DBA', 'approved', '2026-03-03 10:15:00 UTC', ' '],
    ]);
    expect(md).toMatchSnapshot();
  });

  it('the summary says what was rolled back', () => {
    const text = textOf(
      reportSummary(d, { name: 'run-42-report.md', problem: 'An API error occurred: not_in_channel' }),
    );
    expect(text).toContain('↩️ Rolled back by <@U0DBA>: orphans found');
    expect(text).toContain('✅ rolled back 3 files');
    expect(text).toContain('<@U0DBA> approved 2026-03-03 10:15 UTC for rollback on staging');
    expect(text).toContain('⚠️ The full report could not be uploaded (An API error occurred: not_in_channel)');
    expect(text).not.toContain('attached below');
  });
});
