import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbmateSections } from '../../src/deploy/layouts/dbmate.js';
import { snapshotDigest, takeSnapshot } from '../../src/target/snapshot.js';
import { DBMATE, PRISMA } from '../fixtures/layouts/sets.js';
import { ephemerals, type Harness, startHarness, textOf } from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';

/** The catalog's digest and its enum labels: what the schema is, whoever built it. */
async function schemaOf(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const enums = await c.query(
      'select t.typname, e.enumlabel from pg_enum e join pg_type t on t.oid = e.enumtypid order by 1, e.enumsortorder',
    );
    return { digest: snapshotDigest(await takeSnapshot(c)), enums: enums.rows };
  } finally {
    await c.end();
  }
}

/** Apply files the tool's way, with psql: each file on its own (one statement outside a transaction). */
async function withPsql(texts: string[]): Promise<string> {
  const url = await createTestDatabase('mg_ref');
  const dir = mkdtempSync(join(tmpdir(), 'mg-ref-'));
  texts.forEach((t, i) => {
    const file = join(dir, `${i}.sql`);
    writeFileSync(file, t);
    const single = !/concurrently/i.test(t);
    execFileSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...(single ? ['-1'] : []), '-f', file], {
      stdio: 'pipe',
    });
  });
  return url;
}

function threadReplies(h: Harness): string[] {
  const cardTs = h.slack.messages.find((m) => !m.threadTs)!.ts;
  return h.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.thread_ts === cardTs)
    .map((c) => textOf(c.args));
}

describe('a Prisma project deploys as it is', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: PRISMA });
  });
  afterAll(async () => h?.stop());

  it('finds the folders, says the layout, applies them and gets the schema prisma migrate deploy gets', async () => {
    await h.slash('20240104000000');
    await h.settle();
    const replies = threadReplies(h);
    expect(replies[0]).toContain('Preflight on staging');
    expect(replies[0]).toContain(
      'Layout: prisma (detected: folders named &lt;timestamp&gt;_name/ holding migration.sql)',
    );
    expect(replies[0]).toContain('20240101000000_init/migration.sql');
    expect(replies[0]).toContain('runs outside a transaction (CREATE INDEX CONCURRENTLY)');
    expect(replies[1]).toContain('Apply on staging');
    expect(replies.at(-1)).toContain('Run #1 report');
    const ledger = await query<{ id: string; version: string }>(
      h.targets.staging!,
      'select id, version from migration_gate.applied_migrations order by version',
    );
    expect(ledger.map((l) => l.id)).toEqual([
      '20240101000000_init',
      '20240102000000_touch',
      '20240103000000_moderator',
      '20240104000000_email_index',
    ]);
    const reference = await withPsql(
      Object.entries(PRISMA)
        .filter(([p]) => p.endsWith('/migration.sql'))
        .map(([, t]) => t),
    );
    expect(await schemaOf(h.targets.staging!)).toEqual(await schemaOf(reference));
  });

  it('lists the migrations by their folder names and says the layout', async () => {
    await h.slash('list');
    await h.settle();
    const list = ephemerals(h.slack).at(-1)!;
    expect(list).toMatch(/20240102000000_touch\s+[0-9a-f]{12}\s+✅/);
    expect(list).toContain('Layout: prisma (detected');
  });
});

describe('a dbmate project deploys as it is', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: DBMATE });
  });
  afterAll(async () => h?.stop());

  it('applies only the up sections (the down sections stay for a rollback) and matches dbmate up', async () => {
    await h.slash('20240103000000_users_role_index');
    await h.settle();
    const replies = threadReplies(h);
    expect(replies[0]).toContain('Layout: dbmate (detected: files with a `-- migrate:up` section)');
    expect(replies[0]).toContain('runs outside a transaction (-- migrate:up transaction:false)');
    expect(replies.at(-1)).toContain('Run #1 report');
    const tables = await query<{ tablename: string }>(
      h.targets.staging!,
      "select tablename from pg_tables where schemaname = 'public' order by 1",
    );
    expect(tables.map((t) => t.tablename)).toEqual(['audit', 'users']);
    const ups = Object.values(DBMATE).map((t) => {
      const s = dbmateSections(t);
      if ('problem' in s) throw new Error(s.problem);
      return s.up;
    });
    expect(await schemaOf(h.targets.staging!)).toEqual(await schemaOf(await withPsql(ups)));
  });
});
