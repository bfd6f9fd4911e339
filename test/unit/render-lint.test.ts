/**
 * Lint findings where people read them: the preflight reply, the approval card (an allowed error shows its reason)
 * and the run report; many findings stay within Slack's limits and say how many more there are and where.
 */
import { describe, expect, it } from 'vitest';
import { judge, type RawFinding } from '../../src/deploy/lint.js';
import { resolveLevels } from '../../src/deploy/lint-rules.js';
import type { PreflightResult } from '../../src/deploy/results.js';
import type { Run } from '../../src/deploy/types.js';
import { preflightReply } from '../../src/slack/blocks.js';
import { approvalCard, type GateView } from '../../src/slack/gate-blocks.js';
import type { Message } from '../../src/slack/mrkdwn.js';
import { preflight } from '../../src/slack/report-steps.js';

const raw = (n: number, rule = 'prefer-robust-stmts'): RawFinding[] =>
  Array.from({ length: n }, (_, i) => ({
    rule,
    file: `${String(i).padStart(4, '0')}_x.sql`,
    line: 2,
    column: 1,
    message: `Missing \`IF NOT EXISTS\` <${'x'.repeat(400)}>`,
    statement: 0,
  }));

const allowed = judge(
  [
    {
      rule: 'require-concurrent-index-creation',
      file: '002_index.sql',
      line: 2,
      column: 1,
      message: 'During normal index creation, table updates are blocked, but reads are still allowed.',
      statement: 0,
    },
    ...raw(1, 'grant-to-public'),
  ],
  [
    {
      file: '002_index.sql',
      line: 1,
      column: 1,
      text: '-- migration-gate:allow require-concurrent-index-creation users has 40 rows & no writers',
      statement: 0,
    },
  ],
  resolveLevels({ 'require-concurrent-index-creation': 'error' }),
  2,
);

const pre = (extra: Partial<PreflightResult>): PreflightResult => ({
  env: 'staging',
  ok: true,
  pending: [{ id: '002_index', file: '002_index.sql', checksum: 'a'.repeat(64), statements: 2 }],
  alreadyApplied: false,
  drift: [],
  unknown: [],
  outOfOrder: [],
  ...extra,
});

function limits(m: Message): string[] {
  const problems: string[] = [];
  if (m.blocks.length > 50) problems.push(`${m.blocks.length} blocks`);
  for (const b of m.blocks as { type: string; text?: { text: string } }[])
    if (b.type === 'section' && b.text!.text.length > 3000)
      problems.push(`a section of ${b.text!.text.length}`);
  return problems;
}
const text = (m: Message) =>
  (m.blocks as { text?: { text: string }; elements?: { text: string }[] }[])
    .map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join('\n') ?? '')
    .join('\n');

describe('the preflight reply', () => {
  it('lists the findings, the allowed error with its reason, escaped', () => {
    const m = preflightReply(pre({ lint: allowed }));
    const t = text(m);
    expect(t).toContain('*Lint* of 2 files: 1 allowed, 1 warning');
    expect(t).toContain(
      '☑️ `002_index.sql:2:1` *require-concurrent-index-creation*: During normal index creation, table updates are blocked, but reads are still allowed. · *allowed (an error):* “users has 40 rows &amp; no writers”',
    );
    expect(t).toContain('⚠️ `0000_x.sql:2:1` *grant-to-public*: Missing `IF NOT EXISTS` &lt;xxx');
  });

  it('keeps 620 findings within 50 blocks and 3,000 characters a section, and says how many more', () => {
    const many = judge(raw(620), [], resolveLevels(), 620);
    expect(many).toMatchObject({ warnings: 620, more: 120 });
    expect(many.findings).toHaveLength(500);
    const m = preflightReply(pre({ lint: many }));
    expect(limits(m)).toEqual([]);
    expect(text(m)).toContain(
      '… and 608 more findings: `migration-gate lint` prints every one, and the run report file lists them.',
    );
  });

  it('a run stopped by lint says why and what to do', () => {
    const blocked = judge(
      raw(1, 'changing-column-type'),
      [],
      resolveLevels({ 'changing-column-type': 'error' }),
      1,
    );
    const t = text(preflightReply(pre({ ok: false, lint: blocked, problem: 'Lint found 1 error …' })));
    expect(t).toContain('*Preflight on staging* ❌');
    expect(t).toContain('❌ `0000_x.sql:2:1` *changing-column-type*');
  });
});

describe('the approval card', () => {
  const run: Run = {
    id: 7,
    migration: '002_index',
    requestedBy: 'U0REQ',
    channel: 'C1',
    status: 'running',
    steps: [
      { env: 'production', name: 'preflight', status: 'succeeded', summary: '1 file to apply' },
      { env: 'production', name: 'approval', status: 'waiting' },
    ],
    checksums: {},
    version: 1,
    createdAt: '2026-11-22T10:00:00.000Z',
  };
  const gate = (lint: GateView['lint']): GateView => ({
    env: 'production',
    index: 1,
    digest: 'd',
    approvals: [],
    progress: { rules: [{ role: 'dba', need: 1, approvers: [] }], satisfied: false } as never,
    files: [{ id: '002_index', checksum: 'a'.repeat(64), statements: 2 }],
    lint,
  });

  it("shows what lint found, the allowed error first with the file's reason", () => {
    const t = text(approvalCard(run, gate(allowed)));
    expect(t).toContain('*Lint* of 2 files: 1 allowed, 1 warning');
    expect(t.indexOf('require-concurrent-index-creation')).toBeLessThan(t.indexOf('grant-to-public'));
    expect(t).toContain('*allowed (an error):* “users has 40 rows &amp; no writers”');
  });

  it('summarises many findings within the limits and says where the rest are', () => {
    const m = approvalCard(run, gate(judge(raw(620), [], resolveLevels(), 620)));
    expect(limits(m)).toEqual([]);
    expect(text(m)).toContain(
      '… and 614 more findings: the preflight reply in this thread shows more, and the run report file lists them all.',
    );
  });
});

describe('the run report', () => {
  it('lists every stored finding in a table, with the reason of an allowed one', () => {
    const md = preflight(pre({ lint: allowed })).join('\n');
    expect(md).toContain('**Lint** of 2 files: 1 allowed, 1 warning');
    expect(md).toContain(
      '| error | `002_index.sql:2:1` | require-concurrent-index-creation | During normal index creation, table updates are blocked, but reads are still allowed. | users has 40 rows & no writers |',
    );
  });
});
