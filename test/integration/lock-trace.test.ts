/** The lock trace of a file as it really ran on PostgreSQL: which statement locked what, rewrites, rows, time held. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeTrace } from '../../src/deploy/lock-trace.js';
import { applyMigrations } from '../../src/target/apply.js';
import { discoverMigrations } from '../../src/target/files.js';
import { unrecorded } from '../../src/target/footprint.js';
import { createTestDatabase, query } from '../support/pg.js';

const FILE = `-- A note for the people who read it.
/* and a block comment */ alter table orders add column note text;
alter table orders alter column amount type bigint;
create index orders_note on orders (note);
update orders set note = 'x' where id <= 10;
create table refunds (id int primary key, order_id int references orders (id));
create index refunds_order on refunds (order_id);
drop table old_audit;
`;

describe('lock trace', () => {
  let url: string;
  /** Apply one file to the test database, as the bot applies it. */
  async function apply(name: string, text: string, runId: number) {
    const dir = mkdtempSync(join(tmpdir(), 'mg-trace-'));
    writeFileSync(join(dir, name), text);
    const files = discoverMigrations(dir).migrations;
    const env = {
      name: 'staging',
      databaseUrl: url,
      firstLockTimeoutMs: 100,
      lockTimeoutMs: 1000,
      statementTimeoutMs: 10_000,
      lockRetries: 0,
      retryBackoffMs: 0,
    };
    return applyMigrations(env, files, files[0]!.id, { runId, appliedBy: 'U1', footprints: unrecorded });
  }
  beforeAll(async () => {
    url = await createTestDatabase('mg_trace');
    await query(
      url,
      `create table orders (id int primary key, amount int); insert into orders select g, g from generate_series(1, 1000) g;
       create table old_audit (id int)`,
    );
  });

  it('records the strong locks each statement took on tables that existed before, rewrites and rows', async () => {
    const outcome = await apply('001_orders.sql', FILE, 1);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const trace = outcome.applied[0]!.lockTrace!;
    const brief = trace.map((t) => ({ statement: t.statement, line: t.line, locks: t.locks }));
    expect(brief).toEqual(
      [
        {
          statement: 1,
          line: 2,
          locks: [{ relation: 'public.orders', mode: 'AccessExclusiveLock', rewrite: false }],
        },
        // Same lock, but this one rewrote the table.
        {
          statement: 2,
          line: 3,
          locks: [{ relation: 'public.orders', mode: 'AccessExclusiveLock', rewrite: true }],
        },
        // The foreign key locks the table it references (refunds is new: nobody waits for it).
        { statement: 5, line: 6, locks: [] },
        {
          statement: 7,
          line: 8,
          locks: [{ relation: 'public.old_audit', mode: 'AccessExclusiveLock', rewrite: false }],
        },
      ].filter((x) => x.locks.length),
    );
    for (const t of trace) expect(t.heldMs).toBeGreaterThanOrEqual(0);
    // Held from the statement to the commit: the first statement's lock is held at least as long as the last's.
    expect(trace[0]!.heldMs).toBeGreaterThanOrEqual(trace.at(-1)!.heldMs);
    const lines = describeTrace('001_orders.sql', trace, 'staging', 'production', [
      { relation: 'public.orders', rows: 1_234_567, bytes: 310 * 1024 * 1024 },
    ]);
    expect(lines[0]).toMatch(
      /^001_orders\.sql:2 alter table orders add column note text → ACCESS EXCLUSIVE on public\.orders, no rewrite, held \d+ ms on staging; production: ~1\.2 M rows, 310 MB$/,
    );
    expect(lines[1]).toContain('ACCESS EXCLUSIVE on public.orders, table rewritten');
    expect(lines[2]).toContain('ACCESS EXCLUSIVE on public.old_audit, no rewrite');
    expect(lines[2]).toContain('production: not there yet');
  });

  it('a file of plain DML is not probed and has no trace', async () => {
    const outcome = await apply(
      '002_rows.sql',
      'insert into orders values (5001, 1);\nupdate orders set amount = 2 where id = 5001;\n',
      2,
    );
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.applied[0]!.lockTrace).toBeUndefined();
  });
});
