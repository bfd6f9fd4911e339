/**
 * A concurrent check commits its setup and cleanup; rows_unchanged and other checks must never see those rows.
 * They did when checks ran side by side (seen as a flaky "zero rows lost" failure on a healthy deploy).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseChecks } from '../../src/deploy/checks.js';
import { runChecks } from '../../src/target/checks.js';
import { unrecorded } from '../../src/target/footprint.js';
import { createTestDatabase, query } from '../support/pg.js';

const CHECKS = `
- name: concurrent calls, slow
  concurrent:
    times: 2
    setup: insert into people values (100, 'race')
    sql: select pg_sleep(0.6)
  then:
    sql: select count(*) from people where name = 'race'
    expect: 1
  cleanup: delete from people where name = 'race'
- name: a slow read first
  sql: select pg_sleep(0.2)
  expect: { rows: 1 }
- name: people counted while the race rows exist
  sql: select count(*) from people
  expect: 2
- name: zero rows lost
  rows_unchanged: [people]
`;

describe('check order', () => {
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase('mg_checks_order');
    await query(
      url,
      "create table people (id int primary key, name text); insert into people values (1, 'a'), (2, 'b');",
    );
  });

  it("no other check sees a concurrent check's rows; the results keep the file's order", async () => {
    const parsed = parseChecks(parse(CHECKS), 'order.checks.yml');
    if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
    const results = await runChecks(url, parsed.checks, {
      footprints: unrecorded,
      baselineRowCounts: { people: 2 },
      defaultTimeoutMs: 5000,
      parallel: 2,
    });
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['concurrent calls, slow', 'pass'],
      ['a slow read first', 'pass'],
      ['people counted while the race rows exist', 'pass'],
      ['zero rows lost', 'pass'],
    ]);
  });
});
