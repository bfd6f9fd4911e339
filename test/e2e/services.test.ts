/**
 * Several services in one run (deploy.yml `services:`, docs/services.md): each service's files go to its own
 * database, one gate per environment lists every service's files, the card has a row per service, an apply that
 * fails in the middle stops there and says what went in, and Roll back covers every service the run changed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { current, ephemerals, type Harness, lastPost, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const CARD = /^Run #\d+ · /;
const SERVICES = {
  community: {
    '001_posts.sql': 'create table posts (id int primary key, workspace_id int not null);\n',
    '001_posts.down.sql': 'drop table posts;\n',
  },
  marketplace: {
    '001_listings.sql': 'create table listings (id int primary key);\n',
    '001_listings.down.sql': 'drop table listings;\n',
  },
  academy: {
    '001_courses.sql': 'create table courses (id int primary key);\n',
    '001_courses.down.sql': 'drop table courses;\n',
  },
};

const tables = async (url: string) =>
  (
    await query<{ t: string }>(
      url,
      "select tablename as t from pg_tables where schemaname = 'public' order by 1",
    )
  ).map((r) => r.t);

describe('several services in one run', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      envs: ['staging', 'production'],
      services: { migrations: SERVICES },
      envYaml: { production: '    approvals:\n      - { role: dba, users: [U0DBA], count: 1 }\n' },
    });
  });
  afterAll(async () => h?.stop());

  it('release: every service through staging and production, one gate listing each service’s files', async () => {
    await h.slash('release');
    await h.settle();
    const card = current(h.slack, CARD);
    expect(card).toContain('`release`');
    expect(card).toMatch(/↳ \*community:\*\s+✅ preflight .*✅ apply .*✅ verify/);
    expect(card).toMatch(/↳ \*academy:\*\s+✅ preflight/);
    expect(card).toMatch(/\*production:\*\s+⏸ approval/);
    const gate = current(h.slack, 'Approval needed for production');
    for (const f of ['community/001_posts', 'marketplace/001_listings', 'academy/001_courses'])
      expect(gate).toContain(f);
    expect(await tables(h.targets['staging/community']!)).toContain('posts');
    expect(await tables(h.targets['staging/marketplace']!)).toContain('listings');
    expect(await tables(h.targets['staging/academy']!)).toContain('courses');
    expect(await tables(h.targets['production/community']!)).not.toContain('posts');

    expect((await h.click('Approval needed for production', 'gate.approve', 'U0DBA')).status).toBe(200);
    await h.settle();
    expect(current(h.slack, CARD)).toContain('Succeeded');
    expect(await tables(h.targets['production/academy']!)).toContain('courses');
    // Each service's ledger in its own database.
    const ledger = await query<{ n: number }>(
      h.targets['production/marketplace']!,
      'select count(*)::int as n from migration_gate.applied_migrations',
    );
    expect(ledger[0]!.n).toBe(1);
    const report = h.slack.files.find((f) => f.name === 'run-1-report.md')!.content.toString('utf8');
    // Each service's steps are a place of their own, and each file's sha256 is the one the run bound.
    expect(report).toContain('**Files up to the migration, checksums fixed at the start:** 3');
    expect(report).toMatch(/\| 4 \| staging · community \| apply \| ✅ succeeded/);
    expect(report).toContain('### Files applied on staging · marketplace (1, in migration order)');
    expect(report).toMatch(/\| 1 \| `marketplace\/001_listings\.sql` \| [0-9a-f]{64} \|/);
    expect(report).not.toContain('(not in this run)');
  });

  it('a failing apply in the middle stops there; Roll back undoes the services the run changed', async () => {
    const folder = (s: string) => join(h.dir, 'services', s);
    writeFileSync(join(folder('community'), '002_tags.sql'), 'create table tags (id int primary key);\n');
    writeFileSync(join(folder('community'), '002_tags.down.sql'), 'drop table tags;\n');
    writeFileSync(
      join(folder('marketplace'), '002_bad.sql'),
      'create table offers (id int primary key);\nselect nope;\n',
    );
    writeFileSync(join(folder('marketplace'), '002_bad.down.sql'), 'drop table offers;\n');
    writeFileSync(join(folder('academy'), '002_lessons.sql'), 'create table lessons (id int primary key);\n');
    await h.slash('release to staging');
    await h.settle();
    const card = current(h.slack, CARD);
    expect(card).toMatch(/↳ \*community:\*.*✅ apply/);
    expect(card).toMatch(/↳ \*marketplace:\*.*⛔ apply/);
    expect(card).toMatch(/↳ \*academy:\*.*▫️ apply/);
    expect(await tables(h.targets['staging/community']!)).toContain('tags');
    expect(await tables(h.targets['staging/marketplace']!)).not.toContain('offers');
    expect(await tables(h.targets['staging/academy']!)).not.toContain('lessons');
    expect(lastPost(h.slack, 'Apply on staging')).toMatch(/002_bad\.sql:2:8/);

    expect((await h.click(CARD, 'run.rollback', 'U0REQUESTER')).status).toBe(200);
    await h.settle();
    expect(ephemerals(h.slack).join('\n')).not.toMatch(/not allowed|out of date/);
    expect(current(h.slack, CARD)).toMatch(/Rolled back/);
    expect(await tables(h.targets['staging/community']!)).not.toContain('tags');
    expect(await tables(h.targets['staging/community']!)).toContain('posts');
  });

  it('list, verify and a single service’s migration, named service/migration', async () => {
    // Help shows this project's own migration, named as services name them (user trial: '024_atomic_…').
    await h.slash('help');
    await h.settle();
    const help = ephemerals(h.slack).at(-1)!;
    expect(help).toContain('`/deploy-migration community/002_tags`');
    expect(help).not.toContain('024_atomic_user_behavior_updates');
    await h.slash('list');
    await h.settle();
    const list = ephemerals(h.slack).at(-1)!;
    expect(list).toContain('community/001_posts');
    expect(list).toContain('academy/002_lessons');
    await h.slash('verify community/001_posts on staging');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('Verification of community/001_posts on staging');
    // Run verification on a services run: every service's checks on that environment, a table each.
    const before = h.slack.callsTo('chat.postMessage').length;
    await h.slash('verify #1 on staging');
    await h.settle();
    const tables_ = h.slack
      .callsTo('chat.postMessage')
      .slice(before)
      .map((c) => String(c.args.text));
    for (const s of ['community', 'marketplace', 'academy'])
      expect(tables_.some((t) => t.startsWith(`Verification on staging · ${s}, run now by`))).toBe(true);
    await h.slash('baseline 001_posts on staging');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('does not handle services yet');
    await h.slash('002_nope');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toMatch(
      /There is no migration "002_nope"\. Name it as service\/migration/,
    );
    await h.slash('academy/002_lessons to staging');
    await h.settle();
    const card = current(h.slack, CARD);
    expect(card).toContain('`academy/002_lessons`');
    expect(card).not.toContain('community');
    expect(await tables(h.targets['staging/academy']!)).toContain('lessons');

    // A preflight that fails says whose file it is (user trial: the reason named the file without its service).
    writeFileSync(join(h.dir, 'services', 'academy', '003_typo.sql'), 'creat table quizzes (id int);\n');
    await h.slash('academy/003_typo to staging');
    await h.settle();
    expect(current(h.slack, CARD)).toMatch(/❌ Failed: academy on staging: 003_typo\.sql:1:1: syntax error/);
  });
});
