/**
 * Databases golang-migrate or the Supabase CLI migrated part way: a deploy through Slack applies only the rest
 * (re-running the first files would fail), says who recorded the others, and leaves the tool's ledger as the tool
 * itself would have left it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOLANG_MIGRATE, GOLANG_MIGRATE_STEPS } from '../fixtures/golang-migrate/set.js';
import { SUPABASE, SUPABASE_STEPS } from '../fixtures/supabase/set.js';
import { type Harness, startHarness, textOf } from '../support/harness.js';
import { query } from '../support/pg.js';
import { applyWithPsql, schemaDump } from '../support/reference.js';

function preflightAndStatus(h: Harness): { preflight: string; card: string } {
  const cardTs = h.slack.messages.find((m) => !m.threadTs)!.ts;
  const replies = h.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.thread_ts === cardTs)
    .map((c) => textOf(c.args));
  return {
    preflight: replies.find((r) => r.includes('Preflight on staging'))!,
    card: textOf(h.slack.callsTo('chat.update').at(-1)!.args),
  };
}

const ownIds = async (url: string) =>
  (await query<{ id: string }>(url, 'select id from migration_gate.applied_migrations order by version')).map(
    (r) => r.id,
  );

describe('a database golang-migrate migrated to version 2', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: GOLANG_MIGRATE });
    // What `migrate up 2` leaves: the first two up files run, and its one-row table at version 2.
    await applyWithPsql(GOLANG_MIGRATE_STEPS.slice(0, 2), h.targets.staging!);
    await query(
      h.targets.staging!,
      `create table if not exists schema_migrations (version bigint not null primary key, dirty boolean not null);
       insert into schema_migrations (version, dirty) values (2, false);`,
    );
  });
  afterAll(async () => h?.stop());

  it('applies only 0003 and 0004, and schema_migrations says version 4, clean', async () => {
    await h.slash('0004_1.8.0_suspended');
    await h.settle();
    const { preflight, card } = preflightAndStatus(h);
    expect(preflight).toContain('Pending (2)');
    expect(preflight).toContain('0003_1.7.1_state_index');
    expect(preflight).not.toContain('0002_1.7.0_schema.up.sql');
    expect(preflight).toContain('Applied here: 2 applied, recorded by golang-migrate.');
    expect(card).toContain('Succeeded');

    expect(await query(h.targets.staging!, 'select version::int, dirty from schema_migrations')).toEqual([
      { version: 4, dirty: false },
    ]);
    expect(await ownIds(h.targets.staging!)).toEqual(['0003_1.7.1_state_index', '0004_1.8.0_suspended']);
    expect(schemaDump(h.targets.staging!)).toBe(schemaDump(await applyWithPsql(GOLANG_MIGRATE_STEPS)));
  });

  it('a second deploy finds nothing to apply', async () => {
    await h.slash('0004_1.8.0_suspended');
    await h.settle();
    const posts = h.slack.callsTo('chat.postMessage').map((c) => textOf(c.args));
    expect(posts.at(-1)).toContain('Run #2 report: succeeded');
    expect(posts.at(-1)).toContain('⏭️ apply');
    expect(await query(h.targets.staging!, 'select version::int from schema_migrations')).toEqual([
      { version: 4 },
    ]);
    expect(await ownIds(h.targets.staging!)).toEqual(['0003_1.7.1_state_index', '0004_1.8.0_suspended']);
  });
});

describe('a database the Supabase CLI migrated up to its second file', () => {
  let h: Harness;
  const [first, second] = Object.keys(SUPABASE);
  beforeAll(async () => {
    h = await startHarness({ migrations: SUPABASE });
    // What `supabase db push` leaves after the first two files: its schema and table (as the CLI creates them).
    await applyWithPsql(SUPABASE_STEPS.slice(0, 2), h.targets.staging!);
    await query(
      h.targets.staging!,
      `create schema if not exists supabase_migrations;
       create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
       alter table supabase_migrations.schema_migrations add column if not exists statements text[];
       alter table supabase_migrations.schema_migrations add column if not exists name text;`,
    );
    await query(
      h.targets.staging!,
      `insert into supabase_migrations.schema_migrations (version, name, statements)
       values ('20240101000000', 'profiles', $1), ('20240102000000', 'messages', $2)`,
      [[SUPABASE[first!]], [SUPABASE[second!]]],
    );
  });
  afterAll(async () => h?.stop());

  it('applies only the publication and the enum value, and supabase migration list would show all four', async () => {
    await h.slash('20240104000000_enterprise_plan');
    await h.settle();
    const { preflight, card } = preflightAndStatus(h);
    expect(preflight).toContain('Pending (2)');
    expect(preflight).toContain('20240103000000_realtime');
    expect(preflight).not.toContain('20240101000000_profiles.sql');
    expect(preflight).toContain('Applied here: 2 applied, recorded by Supabase.');
    expect(card).toContain('Succeeded');

    const rows = await query<{ version: string; name: string; statements: string[] }>(
      h.targets.staging!,
      'select version, name, statements from supabase_migrations.schema_migrations order by version',
    );
    expect(rows.map((r) => [r.version, r.name])).toEqual([
      ['20240101000000', 'profiles'],
      ['20240102000000', 'messages'],
      ['20240103000000', 'realtime'],
      ['20240104000000', 'enterprise_plan'],
    ]);
    // The statements the bot ran, as text, where the CLI keeps the ones it ran.
    expect(rows[3]!.statements).toHaveLength(1);
    expect(rows[3]!.statements[0]).toMatch(
      /^alter type public\.plan add value if not exists 'enterprise' after 'pro'/,
    );
    expect(await ownIds(h.targets.staging!)).toEqual([
      '20240103000000_realtime',
      '20240104000000_enterprise_plan',
    ]);
    expect(schemaDump(h.targets.staging!)).toBe(schemaDump(await applyWithPsql(SUPABASE_STEPS)));
  });
});
