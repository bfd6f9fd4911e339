/**
 * A run of a real project's size (120 files): the approval card lists every file, every message and thread reply
 * fits Slack's limits (50 blocks, 3,000 characters a section) and says how many files, and the uploaded report
 * lists all 120. Nothing is cut.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, type Harness, startHarness, textOf } from '../support/harness.js';
import { query } from '../support/pg.js';

const N = 120;
const ids = Array.from({ length: N }, (_, i) => `${String(i + 1).padStart(4, '0')}_table_${i + 1}`);
const GATE = `    approvals:
      - { role: dba, usergroup: S0DBA, count: 1 }
`;

/** Slack's documented limits on what chat.postMessage / chat.update accept. */
function withinSlackLimits(args: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const blocks =
    (args.blocks as { type: string; text?: { text: string }; elements?: { text?: string }[] }[]) ?? [];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks`);
  for (const b of blocks) {
    if (b.type === 'section' && (b.text?.text.length ?? 0) > 3000)
      problems.push(`a section of ${b.text!.text.length} characters`);
    for (const e of b.elements ?? [])
      if (typeof e.text === 'string' && e.text.length > 3000)
        problems.push(`a context element of ${e.text.length} characters`);
  }
  if (String(args.text ?? '').length > 4000) problems.push('a text fallback over 4,000 characters');
  return problems;
}

describe('a run of 120 files', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging'],
      envYaml: { staging: GATE },
      usergroups: { S0DBA: ['U0DBA1'] },
      migrations: Object.fromEntries(
        ids.map((id, i) => [`${id}.sql`, `create table t_${i + 1} (id int primary key, name text);\n`]),
      ),
    });
  });
  afterAll(async () => h?.stop());

  it('lists every file where a person reads it, within Slack limits, and uploads a report of all 120', async () => {
    await h.slash(ids.at(-1)!);
    await h.settle();

    const card = current(h.slack, 'Approval needed for staging');
    expect(card).toContain(`exactly these ${N} files, in this order:`);
    const listed = [...card.matchAll(/• `([^`]+)\.sql` sha256 `[0-9a-f]{12}`/g)].map((m) => m[1]);
    expect(listed).toEqual(ids);

    const preflight = current(h.slack, 'Preflight on staging');
    expect(preflight).toContain(`Pending (${N}):`);
    for (const id of ids) expect(preflight).toContain(`\`${id}.sql\``);

    expect((await h.click('Approval needed for staging', 'gate.approve', 'U0DBA1')).status).toBe(200);
    await h.settle();
    expect(current(h.slack, /^Run #1 · /)).toContain('Succeeded');
    const ledger = await query<{ n: number }>(
      h.targets.staging!,
      'select count(*)::int as n from migration_gate.applied_migrations',
    );
    expect(ledger[0]?.n).toBe(N);

    const apply = current(h.slack, 'Apply on staging');
    expect(apply).toContain(`${N} files applied`);
    for (const id of ids) expect(apply).toContain(`\`${id}.sql\``);
    expect(apply).not.toContain('more file');
    expect(apply).not.toContain('truncated');
    expect(current(h.slack, 'Run #1 report')).toContain(`${N} files applied`);

    // Every message and update the bot sent fits what Slack accepts: the fake Slack does not check it.
    const sent = h.slack.calls.filter((c) =>
      ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method),
    );
    expect(sent.length).toBeGreaterThan(4);
    for (const c of sent) expect(withinSlackLimits(c.args), textOf(c.args).slice(0, 80)).toEqual([]);

    const md = h.slack.files.find((f) => f.name === 'run-1-report.md')!.content.toString('utf8');
    for (const [i, id] of ids.entries())
      expect(md).toMatch(new RegExp(`\\| ${i + 1} \\| \`${id}\\.sql\` \\|`));
    expect(md).not.toContain('truncated');
    // Every added table is named in the report; the thread names ten and says where the rest are.
    const added = md.split('\n').find((l) => l.startsWith('**Added tables:**'))!;
    for (let i = 1; i <= N; i++) expect(added).toContain(`\`public.t_${i}\``);
    expect(apply).toContain(`, … and ${N - 10} more (all in the run report)`);
  });
});
