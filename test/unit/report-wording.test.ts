/**
 * Wording a user trial found wrong in the run report and the replies around it: counts in the right number, one
 * way to write a duration, each gate named by what it decides.
 */
import { describe, expect, it } from 'vitest';
import { describeCounts } from '../../src/deploy/diff.js';
import { durationText } from '../../src/deploy/duration-text.js';
import type { Run, Step } from '../../src/deploy/types.js';
import { backupReply, restoreReply } from '../../src/slack/backup-blocks.js';
import { approvalCard } from '../../src/slack/gate-blocks.js';
import { reportSummary } from '../../src/slack/report.js';
import { reportMarkdown } from '../../src/slack/report-markdown.js';
import {
  applied,
  data,
  deploySteps,
  endedRun,
  ids,
  preflight,
  tableAfter,
  textOf,
} from '../support/report-runs.js';
import { stored } from '../support/stored-results.js';

describe('counts in the report read as English', () => {
  it('a catalog with one of each says "1 table … 1 function, 1 policy"', () => {
    expect(
      describeCounts({
        tables: 1,
        foreignKeys: 1,
        indexes: 1,
        functions: 1,
        policies: 1,
        checkConstraints: 0,
        triggers: 0,
        extensions: 0,
        sizeBytes: 8192,
      }),
    ).toBe('1 table, 1 FK, 1 index, 1 function, 1 policy, 8.0 kB');
    expect(
      describeCounts({
        tables: 2,
        foreignKeys: 0,
        indexes: 3,
        functions: 2,
        policies: 0,
        checkConstraints: 0,
        triggers: 0,
        extensions: 0,
        sizeBytes: 100,
      }),
    ).toBe('2 tables, 0 FKs, 3 indexes, 2 functions, 0 policies, 100 B');
  });

  it('the report names one added function as "function", two added tables as "tables"', () => {
    const files = ids(1);
    const run = endedRun({ files, steps: deploySteps('staging') });
    const md = reportMarkdown(
      data(run, {
        results: stored(run, [
          [0, preflight('staging', files)],
          [
            1,
            applied('staging', files, {
              changes: [
                { what: 'functions', added: ['public.f()'], removed: [], changed: [] },
                { what: 'tables', added: ['public.a', 'public.b'], removed: [], changed: [] },
              ],
            }),
          ],
        ]),
      }),
    );
    expect(md).toContain('**Added function:** `public.f()`');
    expect(md).toContain('**Added tables:** `public.a`, `public.b`');
  });
});

describe('one way to write a duration', () => {
  it('ms below a second, seconds with one decimal, then minutes, then hours', () => {
    expect(
      [840, 999.6, 8117, 59_949, 59_960, 65_000, 1_205_000, 3_600_000, 11_520_000].map(durationText),
    ).toEqual([
      '840 ms',
      '1.0 s',
      '8.1 s',
      '59.9 s',
      '1 min',
      '1 min 5 s',
      '20 min 5 s',
      '1 h',
      '3 h 12 min',
    ]);
  });

  it('the report writes a step summary\'s "8117 ms" and every time cell the same way', () => {
    const files = ids(1);
    const run = endedRun({
      files,
      finishedAt: '2026-03-03T10:20:05.000Z',
      steps: deploySteps('staging').map((s) =>
        s.name === 'apply' ? { ...s, durationMs: 8117, summary: '8117 ms (+1 column)' } : s,
      ),
    });
    const md = reportMarkdown(
      data(run, {
        results: stored(run, [
          [0, { ...preflight('staging', files), connectMs: 1500 }],
          [1, applied('staging', files)],
        ]),
      }),
    );
    expect(md).toContain('- **Status:** ✅ succeeded in 20 min 5 s');
    expect(md).toContain('PostgreSQL 15.18, connected in 1.5 s');
    expect(tableAfter(md, '## Steps')[1]!.slice(5)).toEqual(['8.1 s', '8.1 s (+1 column)']);
    expect(md).not.toMatch(/\d{4,} ms/);
    expect(textOf(reportSummary(data(run)))).toContain('✅ Succeeded in 20 min 5 s');
  });

  it('the backup and restore replies write theirs the same way', () => {
    const table = {
      schema: 'public',
      name: 'users',
      backup: 'users_r7',
      rows: 10,
      bytes: 8192,
      changes: ['alter' as const],
      restoreRows: false,
      restoreColumns: ['email'],
      columns: [],
      primaryKey: ['id'],
    };
    const backup = backupReply({
      env: 'production',
      ok: true,
      tables: [table],
      skipped: [],
      durationMs: 125_000,
    });
    expect(textOf(backup)).toContain('in 2 min 5 s, before apply');
    const restore = restoreReply({ env: 'production', ok: true, tables: [], durationMs: 65_000 });
    expect(textOf(restore)).toContain('in 1 min 5 s');
  });
});

describe('each gate is named by what it decides and where', () => {
  const at = '2026-03-03T10:10:00.000Z';
  const files = ids(1);
  const gate = (env: string, extra: Partial<Step> = {}): Step => ({
    env,
    name: 'approval',
    status: 'succeeded',
    ...extra,
  });
  const run = endedRun({
    files,
    status: 'rolled_back',
    reason: 'Verification failed on production.',
    endedBy: 'U0ONCALL',
    steps: [
      ...deploySteps('staging'),
      { env: 'production', name: 'preflight', status: 'succeeded' },
      gate('production', { stage: 'dba' }),
      gate('production', { stage: 'business' }),
      { env: 'production', name: 'apply', status: 'succeeded' },
      { env: 'production', name: 'verify', status: 'failed' },
      gate('production', { purpose: 'rollback' }),
      { env: 'production', name: 'rollback', status: 'succeeded', purpose: 'rollback' },
      gate('production', { purpose: 'rollback' }),
      { env: 'production', name: 'restore', status: 'succeeded', purpose: 'rollback' },
      gate('production', {
        purpose: 'after',
        after: { action: 0, label: 'merge acme/app#42', outcome: 'rolled_back' },
      }),
    ],
  });
  const approved = (index: number, user: string) => ({ index, user, decision: 'approve' as const, at });
  const d = data(run, {
    approvals: [
      approved(5, 'U0DBA'),
      approved(6, 'U0PO'),
      approved(9, 'U0DBA'),
      approved(11, 'U0DBA'),
      approved(13, 'U0PO'),
    ],
  });

  it('in the report file’s Decisions and Steps tables', () => {
    const md = reportMarkdown(d);
    expect(tableAfter(md, '## Decisions').map((r) => r[0])).toEqual([
      '6 · deploy to production, stage 1 of 2: dba',
      '7 · deploy to production, stage 2 of 2: business',
      '10 · rollback on production',
      '12 · restore from backup on production',
      '14 · merge acme/app#42 after production',
    ]);
    expect(md).not.toContain('production approval');
    expect(tableAfter(md, '## Steps')[11]!.slice(1, 3)).toEqual([
      'production',
      'approval: restore from backup on production',
    ]);
  });

  it('in the summary posted in the thread', () => {
    const text = textOf(reportSummary(d, { name: 'run-42-report.md' }));
    expect(text).toContain(
      '<@U0DBA> approved 2026-03-03 10:10 UTC for deploy to production, stage 1 of 2: dba',
    );
    expect(text).toContain('<@U0DBA> approved 2026-03-03 10:10 UTC for rollback on production');
    expect(text).toContain('<@U0DBA> approved 2026-03-03 10:10 UTC for restore from backup on production');
    expect(text).toContain('<@U0PO> approved 2026-03-03 10:10 UTC for merge acme/app#42 after production');
  });

  it('on a restore gate’s card, even when what it puts back is not known', () => {
    const open: Run = {
      ...run,
      status: 'running',
      steps: [...run.steps.slice(0, 11), { ...run.steps[11]!, status: 'waiting' }, run.steps[12]!],
    };
    const card = approvalCard(open, { env: 'production', index: 11, digest: 'd', approvals: [] });
    expect(card.text).toBe('Restore approval needed for production: run #42 001_create_partition_1');
    const text = textOf(card);
    expect(text).toContain('*Restore approval needed: production*');
    expect(text).not.toMatch(/rollback approval/i);
    expect(text).toContain("the backup's result is missing");
  });
});

describe('people in the report file', () => {
  it('show as @U… (a file renders no <@U…> mention), in a reason as in a column', () => {
    const files = ids(1);
    const run = endedRun({
      files,
      status: 'rolled_back',
      endedBy: 'U0ONCALL',
      reason: 'The restore of production was rejected by <@U0DBA> (not now): the rollback stands.',
      steps: deploySteps('production'),
    });
    const md = reportMarkdown(data(run));
    expect(md).toContain(
      'rolled back by @U0ONCALL: The restore of production was rejected by @U0DBA (not now)',
    );
    expect(md).not.toMatch(/<@U/);
  });
});
