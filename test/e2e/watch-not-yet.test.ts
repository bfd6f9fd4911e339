/**
 * `watch` and `checkpoint` on a run whose only monitoring so far was skipped (nothing to apply on staging) speak of
 * the environment that will be watched, not of the skipped step (found trying the sandbox).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemerals, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const MONITORING = `monitoring:
  plans:
    one: [{ every: 1m, for: 1m }]
  metrics:
    - { metric: deadlocks, critical: "> 0" }
`;

describe('watch before anything is watched', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      topYaml: MONITORING,
      migrations: { '001_q.sql': 'create table q (id int);\n' },
      envYaml: {
        staging: '    monitor: one\n',
        production: '    monitor: one\n    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n',
      },
    });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('says production is watched once applied, for watch and checkpoint alike', async () => {
    // 001 is on staging already (applied by hand and recorded): the run skips staging's apply and monitoring.
    await h.slash('001 to staging');
    await h.settle();
    await h.slash('cancel #1');
    await h.settle();
    await query(h.targets.staging!, 'select 1');
    await h.slash('001');
    await h.settle();
    for (const cmd of ['watch #2', 'checkpoint #2']) {
      await h.slash(cmd);
      await h.settle();
      expect(ephemerals(h.slack).at(-1)).toContain(
        'Run #2 is not being watched yet: production is watched once its apply and verification are done.',
      );
    }
  });
});
