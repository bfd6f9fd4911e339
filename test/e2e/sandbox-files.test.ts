/**
 * files.uploadV2 against the stand-in, driven by @slack/web-api's own WebClient (the three calls it makes), and the
 * uploaded report on the sandbox page in a real browser.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { channelStore } from '../../src/sandbox/channel-store.js';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { openStore } from '../../src/store/db.js';
import { createTestDatabase } from '../support/pg.js';

const { WebClient } = webApi;
const TOKEN = 'xoxb-files-test';
const CHANNEL = 'C0SANDBOX';
const REPORT =
  '# Run #17 report\n\n| check | status |\n|---|---|\n| RPC deployed | ✅ |\n\n<@U0DBA> & <!channel>\n';
const ROOT = join(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const client = (slack: FakeSlack) =>
  new WebClient(TOKEN, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });

describe('files.uploadV2 against the stand-in', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c();
  });
  const fake = async () => {
    const slack = await startFakeSlack({ botToken: TOKEN });
    closing.push(() => slack.close());
    return slack;
  };

  it('shares a Markdown report in the thread as one file message and keeps the file whole', async () => {
    const slack = await fake();
    const web = client(slack);
    const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'Run #17 · 024 · succeeded' });
    const res = await web.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts!,
      initial_comment: 'Run #17 report: 6/6 checks passed',
      filename: 'run-17-report.md',
      title: 'Run #17 report',
      content: REPORT,
    });
    expect(res.ok).toBe(true);
    // one files.completeUploadExternal response per message, as web-api returns them
    const [completion] = (
      res as unknown as { files: { files: { id: string; title: string; name: string }[] }[] }
    ).files;
    const completed = completion!.files[0]!;
    expect(completed).toMatchObject({ title: 'Run #17 report', name: 'run-17-report.md' });

    // exactly the calls web-api makes, with the fields Slack documents
    const [getUrl] = slack.callsTo('files.getUploadURLExternal');
    expect(getUrl!.args).toMatchObject({
      filename: 'run-17-report.md',
      length: String(Buffer.byteLength(REPORT)),
    });
    const [done] = slack.callsTo('files.completeUploadExternal');
    expect(done!.args).toMatchObject({
      channel_id: CHANNEL,
      thread_ts: parent.ts,
      initial_comment: 'Run #17 report: 6/6 checks passed',
      files: [{ id: completed.id, title: 'Run #17 report' }],
    });

    // one message in the thread shows the file; the file keeps its name, title and exact content
    const inThread = slack.messages.filter((m) => m.threadTs === parent.ts);
    expect(inThread).toHaveLength(1);
    expect(inThread[0]).toMatchObject({
      channel: CHANNEL,
      text: 'Run #17 report: 6/6 checks passed',
      files: [{ id: completed.id, title: 'Run #17 report', name: 'run-17-report.md', filetype: 'markdown' }],
    });
    const file = slack.files.find((f) => f.id === completed.id)!;
    expect(file.content.toString('utf8')).toBe(REPORT);
    expect(file).toMatchObject({ channel: CHANNEL, threadTs: parent.ts, messageTs: inThread[0]!.ts });

    const served = await fetch(`${slack.url}/files/${completed.id}`);
    expect(served.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(await served.text()).toBe(REPORT);
  });

  it('puts several files in one message, keeps binary bytes, and refuses to complete an unknown file', async () => {
    const slack = await fake();
    const web = client(slack);
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    await web.filesUploadV2({
      channel_id: CHANNEL,
      initial_comment: 'two files',
      file_uploads: [
        { content: 'a,b\n1,2\n', filename: 'figures.csv' },
        { file: bytes, filename: 'raw.bin', title: 'Raw bytes' },
      ],
    });
    const [message] = slack.messages;
    expect(message!.files!.map((f) => [f.title, f.filetype, f.size])).toEqual([
      ['figures.csv', 'csv', 8],
      ['Raw bytes', 'binary', 6],
    ]);
    expect(slack.files.find((f) => f.name === 'raw.bin')!.content.equals(bytes)).toBe(true);

    await expect(
      web.files.completeUploadExternal({ files: [{ id: 'F0NOPE' }], channel_id: CHANNEL }),
    ).rejects.toThrow('file_not_found');
    expect(slack.messages).toHaveLength(1);
  });

  it('kept in the state database, a restarted stand-in shows the thread and the file again and updates old messages', async () => {
    const store = await openStore(await createTestDatabase('mg_sandbox_files'));
    closing.push(() => store.close());
    const first = await startFakeSlack({ botToken: TOKEN, store: channelStore(store.db) });
    const web = client(first);
    const parent = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'Run #17',
      blocks: [{ type: 'divider' }],
    });
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: parent.ts!, text: 'Apply on staging' });
    await web.chat.postEphemeral({ channel: CHANNEL, user: 'U0DBA', text: 'only Dana sees this' });
    await web.files.uploadV2({
      channel_id: CHANNEL,
      thread_ts: parent.ts!,
      initial_comment: 'The whole report',
      filename: 'run-17-report.md',
      title: 'Run #17 report',
      content: REPORT,
    });
    const kept = first.messages.filter((m) => !m.visibleTo);
    const [file] = first.files;
    await first.close();

    const second = await startFakeSlack({ botToken: TOKEN, store: channelStore(store.db) });
    closing.push(() => second.close());
    expect(second.messages).toEqual(kept); // ephemerals are gone, as in Slack after a reload
    expect(second.files).toEqual([file]);
    expect(await (await fetch(`${second.url}/files/${file!.id}`)).text()).toBe(REPORT);

    const again = client(second);
    await again.chat.update({ channel: CHANNEL, ts: parent.ts!, text: 'Run #17 · succeeded' });
    const next = await again.chat.postMessage({ channel: CHANNEL, text: 'Run #18' });
    expect(next.ts! > kept.at(-1)!.ts).toBe(true);
    await second.close();
    const third = await startFakeSlack({ botToken: TOKEN, store: channelStore(store.db) });
    closing.push(() => third.close());
    expect(third.messages.find((m) => m.ts === parent.ts)).toMatchObject({
      text: 'Run #17 · succeeded',
      edited: true,
    });
    expect(third.messages.map((m) => m.text)).toEqual([
      'Run #17 · succeeded',
      'Apply on staging',
      'The whole report',
      'Run #18',
    ]);
  });

  // Skipped only on a machine without Debian's chromium (`apt-get install -y chromium`); CI installs it and runs this.
  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
    'the sandbox page shows the file in the thread and opens its Markdown',
    async () => {
      const sandbox = await startSandbox(0, loadSeed(join(ROOT, 'sandbox/seed.yml')), {
        botToken: TOKEN,
        signingSecret: 'unused',
      });
      closing.push(() => sandbox.close());
      const web = client(sandbox.slack);
      const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'Run #17 · 024 · succeeded' });
      await web.files.uploadV2({
        channel_id: CHANNEL,
        thread_ts: parent.ts!,
        initial_comment: 'The whole report',
        filename: 'run-17-report.md',
        title: 'Run #17 report',
        content: REPORT,
      });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu'],
      });
      closing.push(() => browser.close());
      const page = await browser.newPage();
      await page.goto(sandbox.slack.url);
      await page.locator('#messages button.replies').first().click();
      const file = page.locator('#thread .file');
      await expect.poll(() => file.innerText()).toContain('Run #17 report');
      expect(await file.innerText()).toContain('run-17-report.md');
      expect(await page.locator('#thread').innerText()).toContain('The whole report');
      await file.locator('button[data-view-file]').click();
      await expect.poll(() => page.locator('#file-content').innerText()).toContain('| RPC deployed | ✅ |');
      expect(await page.locator('#file-title').innerText()).toBe('Run #17 report');
      // shown as text, never as markup
      expect(await page.locator('#file-content').innerText()).toContain('<@U0DBA> & <!channel>');
    },
  );

  // Skipped only on a machine without Debian's chromium (`apt-get install -y chromium`); CI installs it and runs this.
  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
    'the sandbox page shows an uploaded PNG as an image, in the message and in View, and a text file as text',
    async () => {
      const sandbox = await startSandbox(0, loadSeed(join(ROOT, 'sandbox/seed.yml')), {
        botToken: TOKEN,
        signingSecret: 'unused',
      });
      closing.push(() => sandbox.close());
      const image = new PNG({ width: 40, height: 20 });
      image.data.fill(200);
      const png = PNG.sync.write(image);
      const web = client(sandbox.slack);
      const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'Run #7 · 024 · watching' });
      await web.files.uploadV2({
        channel_id: CHANNEL,
        thread_ts: parent.ts!,
        initial_comment: 'How each metric moved',
        filename: 'run-7-monitoring-staging.png',
        title: 'Run #7: monitoring staging',
        file: png,
      });
      await web.files.uploadV2({
        channel_id: CHANNEL,
        thread_ts: parent.ts!,
        filename: 'notes.txt',
        title: 'Notes',
        content: 'plain <b>text</b> ✅\n',
      });
      const [chart, notes] = sandbox.slack.files;
      const served = await fetch(`${sandbox.slack.url}/files/${chart!.id}`);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await served.arrayBuffer()).equals(png)).toBe(true);
      const text = await fetch(`${sandbox.slack.url}/files/${notes!.id}`);
      expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu'],
      });
      closing.push(() => browser.close());
      const page = await browser.newPage();
      await page.goto(sandbox.slack.url);
      await page.locator('#messages button.replies').first().click();
      const file = page.locator(`#thread .file[data-file="${chart!.id}"]`);
      await expect.poll(() => file.innerText()).toContain('Run #7: monitoring staging');
      // The message shows the picture itself, decoded by the browser (a broken image has no natural width).
      const inline = page.locator(`#thread img[src="/files/${chart!.id}"]`).first();
      await expect
        .poll(() => inline.evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth))
        .toBe(40);
      expect(await inline.getAttribute('alt')).toBe('Run #7: monitoring staging');

      await file.locator('button[data-view-file]').click();
      const viewer = page.locator('#file-viewer');
      await expect.poll(() => viewer.locator('img').isVisible()).toBe(true);
      expect(
        await viewer.locator('img').evaluate((i) => (i as unknown as { naturalWidth: number }).naturalWidth),
      ).toBe(40);
      expect(await page.locator('#file-title').innerText()).toBe('Run #7: monitoring staging');
      // never the PNG's bytes as text
      expect(await page.locator('#file-content').isVisible()).toBe(false);
      expect(await viewer.innerText()).not.toContain('PNG');
      await page.locator('#file-close').click();

      await page.locator(`#thread .file[data-file="${notes!.id}"]`).locator('button[data-view-file]').click();
      await expect.poll(() => page.locator('#file-content').innerText()).toBe('plain <b>text</b> ✅\n');
      expect(await viewer.locator('img').isVisible()).toBe(false);
    },
  );
});
