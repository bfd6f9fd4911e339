/**
 * A 100-file run over signed requests: the preflight and apply replies list every file, keep the schema line,
 * the outside-a-transaction notes and the failing statement's PostgreSQL CONTEXT, and nothing is cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeSlack } from '../../src/sandbox/fake-slack.js';
import { type Harness, startHarness, textOf } from '../support/harness.js';

const pad = (n: number) => String(n).padStart(3, '0');
/** 99 files that apply (every 10th builds an index CONCURRENTLY), then one that fails inside PL/pgSQL. */
const IDS = Array.from({ length: 100 }, (_, i) =>
  i === 99
    ? '100_backfill_order_totals_refuses'
    : `${pad(i + 1)}_create_orders_archive_partition_${pad(i + 1)}`,
);
const MIGRATIONS = Object.fromEntries(
  IDS.map((id, i) => [
    `${id}.sql`,
    i === 99
      ? "do $$ begin raise exception 'backfill refused: % rows would change', 3; end $$;\n"
      : `create table archive_${i + 1} (id bigint primary key, payload text, created_at timestamptz not null default now());\n${
          (i + 1) % 10 === 0
            ? `create index concurrently archive_${i + 1}_created on archive_${i + 1} (created_at);\n`
            : ''
        }`,
  ]),
);

/** The one message the bot posted whose text starts with `prefix`, with its blocks. */
function posted(slack: FakeSlack, prefix: string) {
  const calls = slack.callsTo('chat.postMessage').filter((c) => String(c.args.text).startsWith(prefix));
  expect(calls).toHaveLength(1);
  const blocks = calls[0]!.args.blocks as { type: string; text?: { text: string } }[];
  return { text: textOf(calls[0]!.args), blocks };
}

const count = (text: string, part: string) => text.split(part).length - 1;

describe('a 100-file run', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ migrations: MIGRATIONS });
    await h.slash(IDS.at(-1)!);
    await h.settle();
  });
  afterAll(async () => h?.stop());

  it('the preflight reply lists every file with its note, uncut, within Slack limits', () => {
    const { text, blocks } = posted(h.slack, 'Preflight on staging');
    for (const id of IDS) expect(text).toContain(`\`${id}.sql\``);
    expect(text).toContain('Pending (100):');
    expect(count(text, 'runs outside a transaction (CREATE INDEX CONCURRENTLY)')).toBe(9);
    expect(text).toContain('No drift');
    expect(text).toMatch(/Catalog: /);
    expect(text).not.toContain('truncated');
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
  });

  it('the apply reply lists the 99 applied files, the schema line, the notes and the CONTEXT of the failure', () => {
    const { text, blocks } = posted(h.slack, 'Apply on staging');
    for (const id of IDS.slice(0, 99)) expect(text).toContain(`\`${id}.sql\``);
    expect(count(text, 'outside a transaction (CREATE INDEX CONCURRENTLY)')).toBe(9);
    expect(text).toContain('`100_backfill_order_totals_refuses.sql` failed');
    expect(text).toContain('backfill refused: 3 rows would change');
    expect(text).toContain('CONTEXT: PL/pgSQL function inline_code_block line 1 at RAISE');
    expect(text).toMatch(/\*Schema:\* \+99 tables/);
    expect(text).not.toContain('truncated');
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    // A code block split over sections stays a code block in each.
    for (const b of blocks) expect(count(b.text?.text ?? '', '```') % 2).toBe(0);
  });
});
