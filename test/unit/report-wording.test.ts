/**
 * Wording a user trial found wrong in the run report and the replies around it: counts in the right number, one
 * way to write a duration, each gate named by what it decides.
 */
import { describe, expect, it } from 'vitest';
import { describeCounts } from '../../src/deploy/diff.js';
import { durationText } from '../../src/deploy/duration-text.js';
import { backupReply, restoreReply } from '../../src/slack/backup-blocks.js';
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
