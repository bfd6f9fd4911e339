/**
 * Supabase, golang-migrate and Flyway folders deployed through Slack as they are, each compared (`pg_dump -s`) with
 * the same files applied the tool's own way with psql.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLYWAY, FLYWAY_STEPS } from '../fixtures/flyway/set.js';
import { GOLANG_MIGRATE, GOLANG_MIGRATE_STEPS } from '../fixtures/golang-migrate/set.js';
import { SUPABASE, SUPABASE_STEPS } from '../fixtures/supabase/set.js';
import { ephemerals, type Harness, startHarness, textOf } from '../support/harness.js';
import { query } from '../support/pg.js';
import { applyWithPsql, schemaDump } from '../support/reference.js';

function threadReplies(h: Harness): string[] {
  const cardTs = h.slack.messages.find((m) => !m.threadTs)!.ts;
  return h.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.thread_ts === cardTs)
    .map((c) => textOf(c.args));
}

const ledgerIds = async (url: string) =>
  (
    await query<{ id: string }>(
      url,
      'select id from migration_gate.applied_migrations order by applied_at, version',
    )
  ).map((r) => r.id);

describe('a Supabase project deploys as it is', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: SUPABASE });
  });
  afterAll(async () => h?.stop());

  it('runs the BEGIN; … COMMIT; file as its one transaction and gets the schema the Supabase CLI gets', async () => {
    await h.slash('20240104000000');
    await h.settle();
    const replies = threadReplies(h);
    expect(replies[0]).toContain('Preflight on staging');
    expect(replies[0]).toContain(
      'Layout: supabase (detected: files named &lt;timestamp&gt;_name.sql, one wrapped in BEGIN; … COMMIT;)',
    );
    expect(replies[0]).toContain('Pending (4)');
    expect(replies[0]).not.toContain('outside a transaction');
    expect(replies.at(-1)).toContain('Run #1 report');
    expect(textOf(h.slack.callsTo('chat.update').at(-1)!.args)).toContain('Succeeded');
    expect(await ledgerIds(h.targets.staging!)).toEqual([
      '20240101000000_profiles',
      '20240102000000_messages',
      '20240103000000_realtime',
      '20240104000000_enterprise_plan',
    ]);
    const dump = schemaDump(h.targets.staging!);
    expect(dump).toContain('CREATE PUBLICATION supabase_realtime');
    expect(dump).toContain("'free',\n    'pro',\n    'enterprise'");
    expect(dump).toBe(schemaDump(await applyWithPsql(SUPABASE_STEPS)));
  });
});

describe('a golang-migrate folder deploys as it is', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: GOLANG_MIGRATE });
  });
  afterAll(async () => h?.stop());

  it('names migrations with dotted titles, leaves the down files for a rollback and matches migrate up', async () => {
    await h.slash('0004_1.8.0_suspended');
    await h.settle();
    const replies = threadReplies(h);
    expect(replies[0]).toContain(
      'Layout: golang-migrate (detected: files named &lt;version&gt;_&lt;title&gt;.up.sql)',
    );
    expect(replies[0]).toContain('0002_1.7.0_schema.up.sql');
    expect(replies[0]).toContain('0003_1.7.1_state_index.up.sql');
    expect(replies[0]).toContain('runs outside a transaction (CREATE INDEX CONCURRENTLY)');
    expect(replies.at(-1)).toContain('Run #1 report');
    expect(await ledgerIds(h.targets.staging!)).toEqual([
      '0001_create_users_table',
      '0002_1.7.0_schema',
      '0003_1.7.1_state_index',
      '0004_1.8.0_suspended',
    ]);
    const tables = await query<{ tablename: string }>(
      h.targets.staging!,
      "select tablename from pg_tables where schemaname = 'public' order by 1",
    );
    expect(tables.map((t) => t.tablename)).toEqual(['users']);
    const dump = schemaDump(h.targets.staging!);
    expect(dump).toContain('CREATE INDEX users_state_idx');
    expect(dump).toBe(schemaDump(await applyWithPsql(GOLANG_MIGRATE_STEPS)));
  });

  it('lists the migrations by the ids golang-migrate writes', async () => {
    await h.slash('list');
    await h.settle();
    const list = ephemerals(h.slack).at(-1)!;
    expect(list).toMatch(/0002_1\.7\.0_schema\s+[0-9a-f]{12}\s+✅/);
    expect(list).toContain('Layout: golang-migrate (detected');
  });
});

describe('a Flyway project deploys as it is', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: FLYWAY });
  });
  afterAll(async () => h?.stop());

  it("applies in Flyway's version order, the configured script outside a transaction, and matches flyway migrate", async () => {
    // By its version: the slash parser refuses a name that does not start with a digit (`V2__person_kind`).
    await h.slash('2');
    await h.settle();
    const replies = threadReplies(h);
    expect(replies[0]).toContain(
      'Layout: flyway (detected: files named V&lt;version&gt;__&lt;description&gt;.sql)',
    );
    expect(replies[0]).toContain('Pending (5)');
    expect(replies[0]).toContain(
      'runs outside a transaction (executeInTransaction=false in V1.2__backfill.sql.conf)',
    );
    expect(replies.at(-1)).toContain('Run #1 report');
    expect(await ledgerIds(h.targets.staging!)).toEqual([
      'V1__create_person',
      'V1.1__person_email',
      'V1.2__backfill',
      'V1.10__person_name_index',
      'V2__person_kind',
    ]);
    const people = await query<{ n: number }>(h.targets.staging!, 'select count(*)::int as n from person');
    expect(people).toEqual([{ n: 3 }]);
    const dump = schemaDump(h.targets.staging!);
    expect(dump).toContain('CREATE POLICY person_own');
    expect(dump).toBe(schemaDump(await applyWithPsql(FLYWAY_STEPS)));
  });
});
