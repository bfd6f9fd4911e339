/** The rollback approval card warns when its down files drop data, and says whether a backup can put it back. */
import { beforeAll, describe, expect, it } from 'vitest';
import { touchedTables } from '../../src/deploy/backup-plan.js';
import type { Run } from '../../src/deploy/types.js';
import { parseMigration } from '../../src/lint/parse.js';
import { approvalCard } from '../../src/slack/gate-blocks.js';
import { loadParser } from '../../src/target/sql.js';

const down = (sql: string) => {
  const parsed = parseMigration(sql);
  if (!parsed.ok) throw new Error(parsed.message);
  return touchedTables(parsed.file.statements);
};
const run: Run = {
  id: 7,
  migration: '024_nickname',
  requestedBy: 'U0REQ',
  channel: 'C1',
  status: 'running',
  steps: [
    { env: 'production', name: 'apply', status: 'succeeded' },
    { env: 'production', name: 'verify', status: 'failed' },
    { env: 'production', name: 'approval', status: 'waiting', purpose: 'rollback' },
    { env: 'production', name: 'rollback', status: 'pending', purpose: 'rollback' },
  ],
  checksums: {},
  version: 1,
  createdAt: '2026-11-22T10:00:00.000Z',
  reason: 'Verification failed on production.',
  endedBy: 'U0ONCALL',
};
const card = (loss?: { down: ReturnType<typeof down>; backedUp?: number }) =>
  JSON.stringify(
    approvalCard(run, {
      env: 'production',
      index: 2,
      digest: 'd',
      approvals: [],
      rollback: { undo: ['024_nickname'], keep: [], missingDown: [] },
      ...(loss ? { loss } : {}),
    }).blocks,
  );

describe('the rollback card’s data-loss line', () => {
  beforeAll(loadParser);

  it('names the column and table the down files drop, and that no backup holds them', () => {
    const text = card({
      down: down('alter table users drop column nickname; drop table audit_log;'),
    });
    expect(text).toContain(
      '⚠️ Rolling back loses data: the down files drop column users.nickname, table audit_log, with whatever was written to them since apply; no backup on production holds it, so it cannot be restored.',
    );
  });

  it('says what the backup taken before apply can and cannot do', () => {
    const text = card({ down: down('alter table public.users drop column nickname;'), backedUp: 2 });
    expect(text).toContain(
      'the down files drop column public.users.nickname, with whatever was written to them since apply; the backup taken before apply on production (2 tables) holds only what was there before the migration.',
    );
  });

  it('says nothing when the down files drop nothing (an index, a function)', () => {
    const text = card({ down: down('drop index users_email; drop function f();') });
    expect(text).not.toContain('loses data');
  });

  it('a column the down file adds back and fills loses nothing; the one it drops does (user trial)', () => {
    const set = down(
      'alter table listings add column price numeric;\nupdate listings set price = price_cents / 100.0;\nalter table listings drop column price_cents;\n',
    );
    expect(set.tables).toEqual([expect.objectContaining({ name: 'listings', columns: ['price_cents'] })]);
  });
});
