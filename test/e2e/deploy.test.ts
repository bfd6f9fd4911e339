import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL, ephemerals, type Harness, startHarness, textOf } from '../support/harness.js';
import { query } from '../support/pg.js';

describe('/deploy-migration to staging over signed HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  it('applies the migration, posts the card and thread replies, and records the ledger', async () => {
    const started = Date.now();
    const res = await h.slash('024_atomic_user_behavior_updates');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(3000); // Slack's limit; the real figure is in bench/
    await h.settle();

    const posts = h.slack.callsTo('chat.postMessage');
    const card = posts.find((c) => !c.args.thread_ts)!;
    expect(card.args.channel).toBe(CHANNEL);
    expect(textOf(card.args)).toContain('024_atomic_user_behavior_updates');
    expect(textOf(card.args)).toContain('<@U0REQUESTER>');

    const cardTs = h.slack.messages.find((m) => !m.threadTs)!.ts;
    const replies = posts.filter((c) => c.args.thread_ts === cardTs).map((c) => textOf(c.args));
    expect(replies).toHaveLength(4);
    expect(replies[2]).toContain('Verify on staging');
    expect(replies[3]).toContain('Run #1 report');
    expect(replies[3]).toContain('attached below: `run-1-report.md`');
    // The whole report is a file in the thread: each check once, with target, actual and status.
    const report = h.slack.files.find((f) => f.name === 'run-1-report.md')!;
    expect(report.threadTs).toBe(cardTs);
    const md = report.content.toString('utf8');
    expect(md).toMatch(
      /\| 5 concurrent calls are all counted \| [^|]+ \| blocker \| [^|]+ \| 5 \| ✅ pass \|/,
    );
    expect(md).toContain(
      '| at least 45 foreign keys (the production target) | sql | warning | >= 45 | 7 | ⚠️ fail (warning) |',
    );
    expect(md.split('| 5 concurrent calls are all counted |')).toHaveLength(2);
    expect(replies[0]).toContain('Preflight on staging');
    expect(replies[0]).toContain('001_initial_schema.sql');
    expect(replies[0]).toContain('024_atomic_user_behavior_updates.sql');
    expect(replies[0]).toContain('No drift');
    expect(replies[1]).toContain('Apply on staging');
    expect(replies[1]).toMatch(/\+1 function/);
    expect(replies[1]).toContain('public.atomic_update_user_behavior(p_user_id uuid');

    const final = h.slack.callsTo('chat.update').at(-1)!;
    expect(final.args.ts).toBe(cardTs);
    const finalText = textOf(final.args);
    expect(finalText).toContain('✅ preflight');
    expect(finalText).toMatch(/✅ apply \d+ ms \(\+/);
    expect(finalText).toContain('Succeeded');

    const ledger = await query<{ id: string; run_id: number }>(
      h.targets.staging!,
      'select id, run_id from migration_gate.applied_migrations order by version',
    );
    expect(ledger.map((l) => l.id)).toEqual([
      '001_initial_schema',
      '013_workflow_tables',
      '024_atomic_user_behavior_updates',
    ]);
    const fn = await query<{ n: number }>(
      h.targets.staging!,
      "select pronargs as n from pg_proc where proname = 'atomic_update_user_behavior'",
    );
    expect(fn).toEqual([{ n: 5 }]);
  });

  it('a second run of the same migration has nothing to apply', async () => {
    await h.slash('024');
    await h.settle();
    const final = textOf(h.slack.callsTo('chat.update').at(-1)!.args);
    expect(final).toContain('nothing to apply on staging');
    expect(final).toContain('Succeeded');
  });

  it('status and list answer ephemerally', async () => {
    await h.slash('status #1');
    await h.slash('list');
    await h.settle();
    const [status, list] = ephemerals(h.slack).slice(-2);
    expect(status).toContain('Run #1');
    expect(list).toMatch(/024_atomic_user_behavior_updates\s+[0-9a-f]{12}\s+✅/);
    expect(list).toMatch(/025_user_behaviors_recent_index\s+[0-9a-f]{12}\s+▫️ pending/);
  });
});
