/**
 * No thread message is cut silently: long lines and long lists go over several sections, code blocks stay code
 * blocks, and a message stays within Slack's 50 blocks by saying how much more there is and where it all is.
 */
import { describe, expect, it } from 'vitest';
import type { ApplyResult, PreflightResult } from '../../src/deploy/results.js';
import { applyReply, preflightReply } from '../../src/slack/blocks.js';
import { type Message, sections } from '../../src/slack/mrkdwn.js';
import { ids, sha } from '../support/report-runs.js';

const texts = (m: { blocks: unknown[] }) =>
  (m.blocks as { text?: { text: string }; elements?: { text: string }[] }[]).map(
    (b) => b.text?.text ?? b.elements?.map((e) => e.text).join('') ?? '',
  );
const limits = (m: Message) => {
  expect(m.blocks.length).toBeLessThanOrEqual(50);
  for (const t of texts(m)) expect(t.length).toBeLessThanOrEqual(3000);
  expect(texts(m).join('\n')).not.toContain('truncated');
};

describe('sections', () => {
  it('splits one line longer than a section at spaces, losing nothing', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `word${i}`);
    const blocks = sections([words.join(' ')], 'long');
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const all = texts({ blocks });
    for (const t of all) expect(t.length).toBeLessThanOrEqual(3000);
    expect(all.join(' ').split(' ')).toEqual(words);
    expect(blocks.map((b) => (b as { block_id: string }).block_id)).toEqual(
      all.map((_, i) => (i ? `long-${i}` : 'long')),
    );
  });

  it('closes and reopens a code block it has to cut, never cuts an entity', () => {
    const context = Array.from(
      { length: 300 },
      (_, i) => `PL/pgSQL function f${i}() line 1 at PERFORM &amp;`,
    );
    const line = `\`x.sql:1:1\`\n\`\`\`ERROR: boom\nCONTEXT: ${context.join('\n')}\`\`\``;
    const all = texts({ blocks: sections(['*Apply on staging* ❌', line, '*Schema:* +1 table'], 'apply') });
    expect(all.length).toBeGreaterThan(3);
    for (const t of all) {
      expect(t.split('```').length % 2).toBe(1);
      expect(t).not.toMatch(/&(?!amp;)|&a?m?p?$/);
    }
    const joined = all.join('\n');
    for (const c of context) expect(joined).toContain(c);
    expect(all.at(-1)).toContain('*Schema:* +1 table');
  });
});

const preflight = (n: number): PreflightResult => ({
  env: 'staging',
  ok: true,
  serverVersion: '15.18',
  connectMs: 3,
  pending: ids(n).map((id, i) => ({
    id,
    checksum: sha(id),
    statements: 1,
    ...(i % 10 === 9 ? { outsideTransaction: 'CREATE INDEX CONCURRENTLY' } : {}),
  })),
  alreadyApplied: false,
  drift: [],
  unknown: [],
  outOfOrder: [],
  counts: {
    tables: 1,
    foreignKeys: 0,
    indexes: 1,
    functions: 0,
    policies: 0,
    checkConstraints: 0,
    triggers: 0,
    extensions: 0,
    sizeBytes: 8192,
  },
});

describe('preflight and apply replies', () => {
  it('100 files: every file, every note and the catalog line, over several sections', () => {
    const m = preflightReply(preflight(100));
    limits(m);
    const text = texts(m).join('\n');
    for (const id of ids(100)) expect(text).toContain(`\`${id}.sql\` sha256 \`${sha(id).slice(0, 12)}\``);
    expect(text.split('runs outside a transaction (CREATE INDEX CONCURRENTLY)')).toHaveLength(11);
    expect(text).toContain('Catalog: 1 table,');
  });

  it('5,000 files: more than a message holds, so it says how many more and where they all are', () => {
    const m = preflightReply(preflight(5000));
    limits(m);
    const text = texts(m).join('\n');
    expect(text).toContain('`001_create_partition_1.sql`');
    expect(text).toMatch(/… and [\d,]+ more files: the run report file lists every one\./);
    expect(text).toContain('Catalog: 1 table,'); // what follows the list is kept
  });

  it('an apply failure keeps the schema line and the whole CONTEXT after 100 files', () => {
    const where = Array.from({ length: 80 }, (_, i) => `SQL statement "select f${i}()"`).join('\n');
    const r: ApplyResult = {
      env: 'staging',
      ok: false,
      files: ids(99).map((id) => ({ id, statements: 1, durationMs: 4, lockRetries: 0 })),
      failure: {
        id: '100_boom',
        statements: 1,
        durationMs: 2,
        lockRetries: 0,
        statementsKept: 0,
        error: { code: 'P0001', message: 'boom', where, file: '100_boom.sql', line: 3, column: 1 },
      },
      diffSummary: '+99 tables',
      catalogUnchanged: false,
    };
    const m = applyReply(r);
    limits(m);
    const text = texts(m).join('\n');
    for (const id of ids(99)) expect(text).toContain(`\`${id}.sql\``);
    for (let i = 0; i < 80; i++) expect(text).toContain(`select f${i}()`);
    expect(text).toContain('*Schema:* +99 tables');
  });
});
