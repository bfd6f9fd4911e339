/** The sandbox page in a real browser (Debian's chromium, driven by playwright-core): what a reviewer does first. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { createTestDatabase, query } from '../support/pg.js';

const ROOT = join(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// A fresh machine may not have Debian's chromium (`apt-get install -y chromium`); CI installs it and must run this.
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true';

describe.skipIf(skip)('the sandbox page in a browser', () => {
  let child: ChildProcess;
  let browser: Browser;
  let page: Page;
  let url: string;
  let production: string;
  const output: string[] = [];

  let env: Record<string, string>;
  /** Starts `npm start`'s entry and waits until the sandbox is up. */
  async function startBot() {
    output.length = 0;
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => output.push(String(d)));
    child.stderr!.on('data', (d) => output.push(String(d)));
    for (let i = 0; i < 200 && !output.join('').includes('Sandbox mode'); i++)
      await new Promise((r) => setTimeout(r, 100));
  }

  beforeAll(async () => {
    const port = await freePort();
    production = await createTestDatabase('mg_browser_prod');
    env = {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      DATABASE_URL: await createTestDatabase('mg_browser_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_browser_staging'),
      PRODUCTION_DATABASE_URL: production,
      SANDBOX_USE_DATABASE_URLS: '1', // deploy to these test databases, not to demo ones
    };
    url = `http://localhost:${port}`;
    await startBot();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    child?.kill('SIGTERM');
  });

  const card = () => page.locator('#messages > li').first();
  const thread = () => page.locator('#thread');
  const actAs = (id: string) => page.selectOption('#user', id);

  it('deploys staging, gates production, takes two approvals (one with conditions), verifies and watches', async () => {
    await page.goto(url);
    await actAs('U0REQUESTER');
    await page.fill('#text', '/deploy-migration 024_atomic_user_behavior_updates');
    await page.press('#text', 'Enter');
    await expect
      .poll(() => card().innerText(), { timeout: 30_000 })
      .toMatch(/approval \(product owner 0\/1, dba 0\/1\)/);
    expect(await card().innerText()).toContain('Run #1');

    await card().locator('button.replies').click();
    await expect.poll(() => thread().innerText()).toContain('Approval needed: production');
    expect(await thread().innerText()).toContain('Apply on staging');

    // the requester (in no rule here) is refused, and only they see it
    await thread().locator('button[data-action="gate.approve"]').last().click();
    await expect
      .poll(() => page.locator('.ephemeral').last().innerText())
      .toContain('You are not in a rule for production (needs: product owner, dba).');

    await actAs('U0DBA');
    expect(await page.locator('.ephemeral').count()).toBe(0);
    await thread().locator('button[data-action="gate.approve"]').last().click();
    await expect.poll(() => card().innerText()).toContain('dba 1/1');

    await actAs('U0PO');
    await thread().locator('button[data-action="gate.conditions"]').last().click();
    await page.locator('#modal textarea').fill('Only after the nightly backup finishes');
    await page.locator('#modal-submit').click();
    // production is applied and verified; the monitor now watches it for five minutes
    await expect.poll(() => card().innerText(), { timeout: 30_000 }).toMatch(/monitor 0\/5 checkpoints/);
    await expect.poll(() => thread().innerText()).toContain('Only after the nightly backup finishes');
    expect(await thread().innerText()).toContain('Apply on production');
    await expect.poll(() => thread().innerText()).toContain('Verify on production');
    expect(await thread().innerText()).toContain('Monitoring production');
    expect(await thread().locator('table.checks').count()).toBeGreaterThan(0); // the checks table
    if (process.env.UPDATE_SCREENSHOTS) {
      await thread().getByText('Verify on production').last().scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ROOT, 'docs/sandbox.png') });
    }

    const fn = await query(production, "select 1 from pg_proc where proname = 'atomic_update_user_behavior'");
    expect(fn).toHaveLength(1);
  });

  it('after a restart of npm start shows the same channel: the run card, its thread and the approvals', async () => {
    const approval = thread().locator('li', { hasText: 'Approval needed: production' }).last();
    const before = { approval: await approval.innerText(), replies: await thread().locator('li').count() };
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await startBot();

    await page.reload();
    await expect.poll(() => card().innerText()).toContain('Run #1');
    expect(await card().innerText()).toMatch(/monitor \d\/5 checkpoints/);
    await card().locator('button.replies').click();
    await expect.poll(() => thread().locator('li').count()).toBeGreaterThanOrEqual(before.replies);
    expect(await approval.innerText()).toBe(before.approval);
    expect(await thread().innerText()).toContain('Only after the nightly backup finishes');
    expect(output.join('')).not.toContain('message_not_found');
  });
});
