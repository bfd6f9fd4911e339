/**
 * A thread reply sent with reply_broadcast (how the bot posts a critical alert: chat.ts) shows in the thread and in
 * the channel, as in Slack: on the stand-in, after a restart, and on the sandbox page in a real browser.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { webApi } from '@slack/bolt';
import { chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { channelStore } from '../../src/sandbox/channel-store.js';
import { startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { loadSeed } from '../../src/sandbox/seed.js';
import { openStore } from '../../src/store/db.js';
import { createTestDatabase } from '../support/pg.js';

const { WebClient } = webApi;
const TOKEN = 'xoxb-broadcast-test';
const CHANNEL = 'C0SANDBOX';
const ROOT = join(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CRITICAL = 'Critical on staging: shield_failures 1 crossed its critical line (> 0)';

describe('reply_broadcast on the stand-in', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closing.splice(0)) await c();
  });

  it('marks a broadcast reply as also sent to the channel, keeps the mark across a restart and an update', async () => {
    const store = await openStore(await createTestDatabase('mg_sandbox_broadcast'));
    closing.push(() => store.close());
    const first = await startFakeSlack({ botToken: TOKEN, store: channelStore(store.db) });
    const web = new WebClient(TOKEN, { slackApiUrl: first.apiUrl, retryConfig: { retries: 0 } });
    const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'Run #3 · 002_more · monitoring' });
    await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: parent.ts!,
      text: 'Checkpoint 1/3 on staging: all good',
      reply_broadcast: false,
    });
    const alert = await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: parent.ts!,
      text: CRITICAL,
      reply_broadcast: true,
    });
    const shape = (ms: typeof first.messages) => ms.map((m) => [m.text, m.threadTs, m.broadcast]);
    expect(shape(first.messages)).toEqual([
      ['Run #3 · 002_more · monitoring', undefined, undefined],
      ['Checkpoint 1/3 on staging: all good', parent.ts, undefined],
      [CRITICAL, parent.ts, true],
    ]);
    await first.close();

    const second = await startFakeSlack({ botToken: TOKEN, store: channelStore(store.db) });
    closing.push(() => second.close());
    expect(shape(second.messages)).toEqual(shape(first.messages));
    const again = new WebClient(TOKEN, { slackApiUrl: second.apiUrl, retryConfig: { retries: 0 } });
    await again.chat.update({ channel: CHANNEL, ts: alert.ts!, text: `${CRITICAL} · acknowledged` });
    expect(second.messages.find((m) => m.ts === alert.ts)).toMatchObject({ broadcast: true, edited: true });
  });

  // Skipped only on a machine without Debian's chromium (`apt-get install -y chromium`); CI installs it and runs this.
  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
    'the sandbox page shows a broadcast alert in the channel, and in its thread, and a plain reply in the thread only',
    async () => {
      const sandbox = await startSandbox(0, loadSeed(join(ROOT, 'sandbox/seed.yml')), {
        botToken: TOKEN,
        signingSecret: 'unused',
      });
      closing.push(() => sandbox.close());
      const web = new WebClient(TOKEN, { slackApiUrl: sandbox.slack.apiUrl, retryConfig: { retries: 0 } });
      const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'Run #3 · 002_more · monitoring' });
      await web.chat.postMessage({
        channel: CHANNEL,
        thread_ts: parent.ts!,
        text: 'Checkpoint 1/3 on staging: all good',
      });
      await web.chat.postMessage({
        channel: CHANNEL,
        thread_ts: parent.ts!,
        text: CRITICAL,
        reply_broadcast: true,
      });
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu'],
      });
      closing.push(() => browser.close());
      const page = await browser.newPage();
      await page.goto(sandbox.slack.url);
      const channel = page.locator('#messages > li');
      await expect.poll(() => channel.count()).toBe(2);
      expect(await channel.nth(0).innerText()).toContain('Run #3 · 002_more · monitoring');
      expect(await channel.nth(0).innerText()).toContain('2 replies');
      const shown = await channel.nth(1).innerText();
      expect(shown).toContain('replied to a thread: Run #3 · 002_more · monitoring');
      expect(shown).toContain(CRITICAL);
      expect(await page.locator('#messages').innerText()).not.toContain('Checkpoint 1/3');

      // its "replied to a thread" opens the thread, where it shows with the other reply
      await channel.nth(1).locator('button[data-thread]').click();
      const thread = page.locator('#thread-messages > li');
      await expect.poll(() => thread.count()).toBe(3);
      expect(await thread.nth(1).innerText()).toContain('Checkpoint 1/3 on staging: all good');
      expect(await thread.nth(1).innerText()).not.toContain('Also sent to the channel');
      expect(await thread.nth(2).innerText()).toContain(CRITICAL);
      expect(await thread.nth(2).innerText()).toContain('Also sent to the channel');
    },
  );
});
