/** A run is bound to its check files as to its migrations: an edited check never runs in production unapproved. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const GATE = `    approvals:
      - { role: dba, usergroup: S0DBA, count: 1 }
`;
const CARD = /^Run #\d+ · /;
const APPROVAL = 'Approval needed for production';
const SNEAKY = `- { name: t is empty, sql: "select count(*) from t", expect: 0 }
- name: sneaky
  concurrent: { times: 2, setup: "create table sneaky (id int)", sql: "select 1" }
  then: { sql: "select 1", expect: 1 }
`;

describe('check files are part of what a run deploys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      envYaml: { production: GATE },
      usergroups: { S0DBA: ['U0DBA'] },
      migrations: {
        '001_t.sql': 'create table t (id int);\n',
        '001_t.checks.yml': '- { name: t is empty, sql: "select count(*) from t", expect: 0 }\n',
        '002_u.sql': 'create table u (id int);\n',
        '003_v.sql': 'create table v (id int);\n',
        '003_v.down.sql': 'drop table v;\n',
        '003_v.checks.yml': '- { name: never, sql: "select 1", expect: 2 }\n',
      },
    });
  });
  afterAll(async () => h?.stop());

  it('a check file edited between staging and the production gate stops the run, naming it and both hashes', async () => {
    await h.slash('001_t');
    await h.settle();
    expect(current(h.slack, APPROVAL)).toContain('`001_t.sql`');
    writeFileSync(join(h.migrationsDir, '001_t.checks.yml'), SNEAKY);
    await h.click(APPROVAL, 'gate.approve', 'U0DBA');
    await h.settle();
    const card = current(h.slack, CARD);
    expect(card).toMatch(
      /Failed: 001_t\.checks\.yml changed since run #1 started \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\)/,
    );
    // Production's preflight ran before the edit; its apply refuses, before touching the target.
    expect(card).toMatch(/production:\*.*✅ approved\s+·\s+❌ apply failed/);
    expect(
      await query(h.targets.production!, "select to_regclass('t') as t, to_regclass('sneaky') as s"),
    ).toEqual([{ t: null, s: null }]);
  });

  it('a check file added beside a migration of the run stops it too', async () => {
    writeFileSync(
      join(h.migrationsDir, '001_t.checks.yml'),
      '- { name: t is empty, sql: "select count(*) from t", expect: 0 }\n',
    );
    await h.slash('002_u');
    await h.settle();
    writeFileSync(join(h.migrationsDir, '002_u.checks.yml'), SNEAKY.replace('from t', 'from u'));
    await h.click(APPROVAL, 'gate.approve', 'U0DBA');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/Failed: 002_u\.checks\.yml was added since run #2 started/);
    expect(await query(h.targets.production!, "select to_regclass('sneaky') as s")).toEqual([{ s: null }]);
  });

  it('a down file edited after the run started is not run: the rollback is refused, naming it and both hashes', async () => {
    await h.slash('003_v to staging');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/⛔ verify/);
    writeFileSync(join(h.migrationsDir, '003_v.down.sql'), 'drop table v;\ndrop table u;\n');
    await h.click(CARD, 'run.rollback', 'U0REQUESTER');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(
      /003_v\.down\.sql changed since run #\d+ started \(sha256 [0-9a-f]{12} → [0-9a-f]{12}\)/,
    );
    expect(await query(h.targets.staging!, "select to_regclass('v') as v, to_regclass('u') as u")).toEqual([
      { v: 'v', u: 'u' },
    ]);
  });
});
