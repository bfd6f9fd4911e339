/**
 * Lint at preflight, through the real bot over signed HTTP: findings in the preflight reply and on the production
 * approval card (an error the file allows shows the file's reason), and a run stopped at preflight by an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, type Harness, lastPost, startHarness, textOf } from '../support/harness.js';
import { query } from '../support/pg.js';

const GATE = `    approvals:
      - { role: dba, usergroup: S0DBA, count: 1 }
`;
const LINT = `lint:
  require-concurrent-index-creation: error
  changing-column-type: error
`;
const USERS =
  'create table users (id bigint generated always as identity primary key, email text not null);\n';
const REASON = 'users is new and holds no rows yet: the lock lasts milliseconds';

describe('lint findings reach the approver', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: GATE },
      usergroups: { S0DBA: ['U0DBA1'] },
      topYaml: LINT,
      migrations: {
        '001_users.sql': USERS,
        '002_email_index.sql': `-- migration-gate:allow require-concurrent-index-creation ${REASON}\ncreate index users_email on users (email);\ngrant select on users to public;\n`,
      },
    });
  });
  afterAll(async () => h?.stop());

  it('shows them in the preflight reply and on the production approval card, the allowed error with its reason', async () => {
    await h.slash('002_email_index');
    await h.settle();
    const allowed = `☑️ \`002_email_index.sql:2:1\` *require-concurrent-index-creation*: During normal index creation, table updates are blocked, but reads are still allowed. · *allowed (an error):* “${REASON}”`;
    const warning =
      '⚠️ `002_email_index.sql:3:26` *grant-to-public*: GRANT select ON TABLE users TO PUBLIC: every role, present and future, gets it.';

    const staging = lastPost(h.slack, 'Preflight on staging');
    expect(staging).toContain('*Preflight on staging* ✅');
    expect(staging).toContain('*Lint* of 2 files: 1 allowed, 1 warning');
    expect(staging).toContain(allowed);
    expect(staging).toContain(warning);
    expect(lastPost(h.slack, 'Preflight on production')).toContain(allowed);

    const card = current(h.slack, 'Approval needed for production');
    expect(card).toContain('exactly these 2 files, in this order:');
    expect(card).toContain('*Lint* of 2 files: 1 allowed, 1 warning');
    expect(card).toContain(allowed);
    expect(card).toContain(warning);

    // Allowed, the index went in on staging; the run goes on once approved.
    expect(await query(h.targets.staging!, "select to_regclass('users_email') is not null as made")).toEqual([
      { made: true },
    ]);
    expect((await h.click('Approval needed for production', 'gate.approve', 'U0DBA1')).status).toBe(200);
    await h.settle();
    expect(current(h.slack, /^Run #1 · /)).toContain('Succeeded');
    const report = h.slack.files.find((f) => f.name === 'run-1-report.md')!.content.toString('utf8');
    expect(report).toContain(
      `| error | \`002_email_index.sql:2:1\` | require-concurrent-index-creation | During normal index creation, table updates are blocked, but reads are still allowed. Use \`concurrently\` to avoid blocking writes. | ${REASON} |`,
    );
  });
});

describe('a lint error stops the run at preflight', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging'],
      topYaml: LINT,
      migrations: {
        '001_users.sql': USERS,
        '002_email_type.sql': '-- Longer emails.\nalter table users alter column email type varchar(320);\n',
      },
    });
  });
  afterAll(async () => h?.stop());

  it('says which rule at which file:line:column, applies nothing, and the run fails', async () => {
    await h.slash('002_email_type');
    await h.settle();
    const preflight = lastPost(h.slack, 'Preflight on staging');
    expect(preflight).toContain('*Preflight on staging* ❌');
    expect(preflight).toContain('*Lint* of 2 files: 1 error');
    expect(preflight).toContain(
      '❌ `002_email_type.sql:2:38` *changing-column-type*: Changing a column type requires an `ACCESS EXCLUSIVE` lock on the table',
    );
    expect(preflight).toContain(
      'Lint found 1 error in the pending files (first: 002_email_type.sql:2:38 changing-column-type), so nothing was applied. Fix it, or allow one on its statement with `-- migration-gate:allow &lt;rule&gt; &lt;reason&gt;` (the approver reads the reason), then start a new run.',
    );
    const card = textOf(h.slack.callsTo('chat.update').at(-1)!.args);
    expect(card).toContain('❌ preflight failed');
    expect(card).toContain('⏭️ apply');
    expect(await query(h.targets.staging!, "select to_regclass('public.users') as t")).toEqual([{ t: null }]);
  });
});
