/** The apply reply names each file as its folder does (a golang-migrate up file, a Prisma folder's migration.sql). */
import { describe, expect, it } from 'vitest';
import { applyReply } from '../../src/slack/blocks.js';

const text = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

describe('applyReply file names', () => {
  it('uses the file name the layout gives, and <id>.sql for results stored before names were kept', () => {
    const m = applyReply({
      env: 'staging',
      ok: false,
      files: [
        {
          id: '0002_1.7.0_schema',
          file: '0002_1.7.0_schema.up.sql',
          statements: 2,
          durationMs: 5,
          lockRetries: 0,
        },
        { id: '001_old', statements: 1, durationMs: 1, lockRetries: 0 },
      ],
      failure: {
        id: '20240101000000_init',
        file: '20240101000000_init/migration.sql',
        statements: 1,
        durationMs: 3,
        lockRetries: 0,
        statementsKept: 0,
        error: { message: 'boom', file: '20240101000000_init/migration.sql', line: 1, column: 1 },
      },
    });
    expect(text(m)).toContain('`0002_1.7.0_schema.up.sql`');
    expect(text(m)).toContain('`001_old.sql`');
    expect(text(m)).toContain('then `20240101000000_init/migration.sql` failed');
    expect(text(m)).not.toContain('0002_1.7.0_schema.sql');
  });
});
