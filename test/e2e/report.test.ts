/**
 * The end of a run over signed requests: a summary in the thread and the whole report uploaded beside it as a
 * Markdown file (files.uploadV2 against the stand-in), with the files applied and their sha256, each check once,
 * and every monitoring figure; secrets scrubbed from the file; a refused upload said in the summary.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { webChat } from '../../src/slack/chat.js';
import { BOT_TOKEN, CHANNEL, clock, current, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const MIN = 60_000;
const MIGRATIONS = {
  '001_queue.sql': 'create table queue_items (id int primary key, body text);\n',
  '001_queue.checks.yml':
    '- { name: queue table exists, table: queue_items }\n- { name: queue starts empty, sql: "select count(*) from queue_items", expect: 0 }\n- { name: at least 3 tables, sql: "select count(*) from pg_tables where schemaname = \'public\'", expect: ">= 3", severity: warning }\n',
  '002_queue_index.sql': 'create index concurrently queue_items_body on queue_items (body);\n',
};
const MONITORING = `monitoring:
  plans:
    three: [{ every: 1m, for: 3m }]
  metrics:
    - { metric: deadlocks, critical: "> 0" }
    - { name: queue_depth, sql: "select count(*) from queue_items", warn: "> 2", critical: "> 5" }
  oncall: S0ONCALL
`;
const OPTIONS = { topYaml: MONITORING, migrations: MIGRATIONS, envYaml: { staging: '    monitor: three\n' } };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const count = (text: string, part: string) => text.split(part).length - 1;

describe('the run report', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(OPTIONS);
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  /** Take the monitor's three checkpoints, one minute apart, from now on the bot's clock. */
  async function watch(before: (n: number) => Promise<void> = async () => {}) {
    const start = clock.offsetMs;
    for (let n = 1; n <= 3; n++) {
      await before(n);
      clock.offsetMs = start + n * MIN + 5000;
      await h.bot.service.tick(clock.now());
      await h.settle();
    }
  }

  it('a finished run posts the summary in its thread and uploads the whole report there as Markdown', async () => {
    await h.slash('002_queue_index');
    await h.settle();
    await watch(async (n) => {
      if (n === 1) await query(h.targets.staging!, 'insert into queue_items select generate_series(1, 9)');
      if (n === 2) await query(h.targets.staging!, 'delete from queue_items');
    });
    expect(current(h.slack, /^Run #1 · /)).toContain('Succeeded');

    const card = h.slack.messages.find((m) => !m.threadTs)!;
    const summary = current(h.slack, 'Run #1 report');
    expect(summary).toContain(
      '✅ 2 files applied  ·  ✅ verify 2/3 pass, 1 warning  ·  ✅ monitor 3/3 checkpoints, 1 reading over a line (1 critical), 1 alert',
    );
    expect(summary).toContain('attached below: `run-1-report.md`');

    const file = h.slack.files.find((f) => f.name === 'run-1-report.md')!;
    expect(file).toMatchObject({ channel: CHANNEL, threadTs: card.ts, filetype: 'markdown' });
    const shared = h.slack.messages.find((m) => m.files?.some((f) => f.id === file.id))!;
    expect(shared.threadTs).toBe(card.ts);
    expect(shared.ts > h.slack.messages.find((m) => m.text.startsWith('Run #1 report'))!.ts).toBe(true);

    const md = file.content.toString('utf8');
    expect(md).toContain('# Run #1 report: 002_queue_index');
    expect(md).toContain(`| 1 | \`001_queue.sql\` | ${sha(MIGRATIONS['001_queue.sql'])} | 1 | `);
    expect(md).toMatch(
      new RegExp(
        `\\| 2 \\| \`002_queue_index.sql\` \\| ${sha(MIGRATIONS['002_queue_index.sql'])} \\| 1 \\| \\d+ ms \\| 0 \\| outside a transaction \\(CREATE INDEX CONCURRENTLY\\) \\|`,
      ),
    );
    for (const name of ['queue table exists', 'queue starts empty', 'at least 3 tables'])
      expect(count(md, `| ${name} |`)).toBe(1);
    expect(md).toContain('| at least 3 tables | sql | warning | >= 3 | 1 | ⚠️ fail (warning) |');
    expect(md).toContain('### Monitoring on staging (step 4): plan `three`, 3 of 3 checkpoints, 0 missed');
    expect(md).toContain(
      '| queue_depth | 0 | 🔴 9 | > 2 | > 5 | 1 of 3 readings (1 critical) | 1 critical |',
    );
    expect(md).toContain('| deadlocks | 0 | 0 | — | > 0 | 0 of 3 readings | none |');
    expect(md).toMatch(
      /\| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \| staging \| critical \| queue_depth 9 \(> 5\) \| no \|/,
    );
  });

  it('the file is scrubbed of secrets like every message', async () => {
    const chat = webChat(
      new webApi.WebClient(BOT_TOKEN, { slackApiUrl: h.slack.apiUrl, retryConfig: { retries: 0 } }),
      [h.targets.staging!],
    );
    await chat.upload(CHANNEL, h.slack.messages[0]!.ts, {
      filename: 'leak.md',
      title: `from ${h.targets.staging}`,
      content: `target ${h.targets.staging}\nother postgres://app:hunter2@db.internal/x\ntoken ${BOT_TOKEN}\n`,
    });
    const file = h.slack.files.find((f) => f.name === 'leak.md')!;
    expect(file.content.toString('utf8')).toBe(
      'target [redacted]\nother postgres://app:[redacted]@db.internal/x\ntoken [redacted]\n',
    );
    expect(file.title).toBe('from [redacted]');
  });

  it('when Slack refuses the upload, the summary says so and the run still ends', async () => {
    // Slack answers missing_scope when the app was installed without files:write.
    const proxy = await refusingUploads(h.slack.url);
    try {
      await h.bot.stop();
      await h.store.close();
      h = await startHarness(OPTIONS, { ...h, slack: { ...h.slack, apiUrl: `${proxy.url}/api/` } });
      writeFileSync(join(h.migrationsDir, '003_more.sql'), 'create table more_items (id int);\n');
      await h.slash('003_more');
      await h.settle();
      await watch();
      expect(current(h.slack, /^Run #2 · /)).toContain('Succeeded');
      const summary = current(h.slack, 'Run #2 report');
      expect(summary).toContain(
        '⚠️ The full report could not be uploaded (An API error occurred: missing_scope)',
      );
      expect(summary).not.toContain('attached below');
      expect(h.slack.files.some((f) => f.name === 'run-2-report.md')).toBe(false);
    } finally {
      await new Promise((r) => proxy.server.close(r));
    }
  });
});

/** A Slack API in front of the stand-in that refuses files.getUploadURLExternal with missing_scope. */
async function refusingUploads(target: string): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url?.startsWith('/api/files.getUploadURLExternal')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'missing_scope', needed: 'files:write' }));
      return;
    }
    const r = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers: {
        'content-type': req.headers['content-type'] ?? '',
        authorization: req.headers.authorization ?? '',
      },
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
