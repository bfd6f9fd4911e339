/**
 * Wording a user trial found wrong in the run report and the replies around it: counts in the right number, one
 * way to write a duration, each gate named by what it decides.
 */
import { describe, expect, it } from 'vitest';
import { describeCounts } from '../../src/deploy/diff.js';
import { reportMarkdown } from '../../src/slack/report-markdown.js';
import { applied, data, deploySteps, endedRun, ids, preflight } from '../support/report-runs.js';
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
