import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemerals, type Harness, startHarness, textOf } from '../support/harness.js';
import { query } from '../support/pg.js';

// A plain folder whose ids are the migration_name values Prisma recorded (the prisma layout reads them from
// `<name>/migration.sql` folders; the ledger is the same either way). Re-running the first file would fail.
const FILES: Record<string, string> = {
  '20240101000000_init.sql': `create type "ReqType" as enum ('GET', 'POST');\ncreate table "Request" (id serial primary key, type "ReqType" not null);\n`,
  '20240102000000_add_user.sql': 'create table "User" (id serial primary key, email text not null unique);\n',
  '20240103000000_add_index.sql': 'create index "Request_type_idx" on "Request" (type);\n',
};
const sha = (t: string) => createHash('sha256').update(t, 'utf8').digest('hex');

describe('a database Prisma migrated, deployed through Slack', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: FILES });
    // What `prisma migrate deploy` leaves after the first two migrations.
    await query(
      h.targets.staging!,
      `${FILES['20240101000000_init.sql']}${FILES['20240102000000_add_user.sql']}
      create table "_prisma_migrations" (
        "id" varchar(36) primary key not null, "checksum" varchar(64) not null, "finished_at" timestamptz,
        "migration_name" varchar(255) not null, "logs" text, "rolled_back_at" timestamptz,
        "started_at" timestamptz not null default now(), "applied_steps_count" integer not null default 0);
      insert into "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) values
        ('0b7a4f7e-1c1d-4c52-9a51-000000000001', '${sha(FILES['20240101000000_init.sql']!)}', now(), '20240101000000_init', 1),
        ('0b7a4f7e-1c1d-4c52-9a51-000000000002', '${sha(FILES['20240102000000_add_user.sql']!)}', now(), '20240102000000_add_user', 1);`,
    );
  });
  afterAll(async () => h?.stop());

  it('applies only the migration Prisma has not, says who recorded the rest, and keeps _prisma_migrations true', async () => {
    await h.slash('20240103000000_add_index');
    await h.settle();
    const cardTs = h.slack.messages.find((m) => !m.threadTs)!.ts;
    const replies = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts === cardTs)
      .map((c) => textOf(c.args));
    const preflight = replies.find((r) => r.includes('Preflight on staging'))!;
    expect(preflight).toContain('Pending (1)');
    expect(preflight).toContain('20240103000000_add_index');
    expect(preflight).not.toContain('20240101000000_init');
    expect(preflight).toContain('Applied here: 2 applied, recorded by Prisma.');
    expect(textOf(h.slack.callsTo('chat.update').at(-1)!.args)).toContain('Succeeded');

    const prisma = await query<{ migration_name: string; finished: boolean; applied_steps_count: number }>(
      h.targets.staging!,
      `select migration_name, finished_at is not null as finished, applied_steps_count from _prisma_migrations order by started_at, migration_name`,
    );
    expect(prisma).toEqual([
      { migration_name: '20240101000000_init', finished: true, applied_steps_count: 1 },
      { migration_name: '20240102000000_add_user', finished: true, applied_steps_count: 1 },
      { migration_name: '20240103000000_add_index', finished: true, applied_steps_count: 1 },
    ]);
    const own = await query(h.targets.staging!, 'select id from migration_gate.applied_migrations');
    expect(own).toEqual([{ id: '20240103000000_add_index' }]);
  });

  it('list shows every migration applied on staging', async () => {
    await h.slash('list');
    await h.settle();
    const list = ephemerals(h.slack).at(-1)!;
    for (const id of ['20240101000000_init', '20240102000000_add_user', '20240103000000_add_index'])
      expect(list).toMatch(new RegExp(`${id}\\s+[0-9a-f]{12}\\s+✅`));
    expect(list).not.toContain('pending');
  });
});
