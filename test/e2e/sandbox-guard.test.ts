/**
 * The sandbox is never a back door (issue 10, point 9): `npm start` without Slack tokens deploys only to its own
 * demo databases unless SANDBOX_USE_DATABASE_URLS says otherwise (and then warns), its API answers only its own
 * page (loopback Host, no foreign Origin, the page's token), and it and its bot listen on 127.0.0.1 only.
 * Each bot here is `npm start`'s entry as a real process; the attacks are raw HTTP and a real Chromium page.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, pgPassword, query } from '../support/pg.js';
import { command, messages, pageToken, processes, start, until } from '../support/started.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function project(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mg-guard-${name}-`));
  writeFileSync(join(dir, '001_guarded.sql'), 'create table guarded (id int);\n');
  writeFileSync(
    join(dir, 'deploy.yml'),
    'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
  );
  return join(dir, 'deploy.yml');
}

/** One raw HTTP request, headers exactly as given (fetch would not send a foreign Host). */
function raw(url: string, path: string, method: string, headers: Record<string, string>, body = '') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The local addresses of every TCP socket listening on `port` (from /proc/net/tcp and tcp6, as `ss -ltn` shows). */
function listening(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[1]?.endsWith(`:${hex}`) && c[3] === '0A')
      .map((c) => c[1]!.split(':')[0]!),
  );
}
const LOOPBACK = ['0100007F', '00000000000000000000000001000000']; // 127.0.0.1, ::1

const children: ChildProcess[] = [];
const dataDirs: string[] = [];
afterAll(() => {
  for (const c of children.splice(0)) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  for (const dir of dataDirs.splice(0))
    for (const p of processes().filter((x) => x.cmd.includes(dir))) process.kill(p.pid, 'SIGKILL');
});

const finished = (url: string, run: string) =>
  until(`run ${run} to finish`, async () =>
    (await messages(url)).find(
      (m) => !m.threadTs && m.text.startsWith(`Run ${run} `) && /succeeded|failed/.test(m.text),
    ),
  );
const hasGuarded = async (db: string) =>
  (await query<{ t: string | null }>(db, "select to_regclass('guarded')::text as t"))[0]!.t !== null;

describe('npm start without Slack tokens, with STAGING_DATABASE_URL pointing at a real database', () => {
  it('deploys to its own demo database, never to that URL, and says it ignores the variable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-guard-data-'));
    dataDirs.push(dataDir);
    const staging = await createTestDatabase('mg_guard_real');
    const bot = await start({
      DATABASE_URL: await createTestDatabase('mg_guard_state'),
      STAGING_DATABASE_URL: staging,
      DEPLOY_CONFIG: project('ignore'),
      DATA_DIR: dataDir,
    });
    children.push(bot.child);
    expect((await command(bot.url, '001')).status).toBe(200);
    expect((await finished(bot.url, '#1')).text).toBe('Run #1 · 001_guarded · succeeded');
    expect(await hasGuarded(staging)).toBe(false);
    expect(await query(staging, "select to_regnamespace('migration_gate')::text as s")).toEqual([
      { s: null },
    ]);
    const log = bot.output.join('');
    expect(log).toContain(
      'Sandbox mode ignores STAGING_DATABASE_URL (staging) and deploys to its own demo databases',
    );
    const { host, pathname } = new URL(staging);
    for (const secret of [staging, host, pathname.slice(1), pgPassword()]) expect(log).not.toContain(secret);
  });
});

describe('npm start with SANDBOX_USE_DATABASE_URLS=1', () => {
  let url = '';
  let botPort = 0;
  let staging = '';
  let state = '';
  let output: string[] = [];
  beforeAll(async () => {
    staging = await createTestDatabase('mg_guard_used');
    state = await createTestDatabase('mg_guard_used_state');
    const bot = await start({
      DATABASE_URL: state,
      STAGING_DATABASE_URL: staging,
      DEPLOY_CONFIG: project('use'),
      SANDBOX_USE_DATABASE_URLS: '1',
    });
    children.push(bot.child);
    ({ url, output } = bot);
    botPort = Number(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(output.join(''))?.[1]);
  });

  it('warns at start, naming the environments and never the URL, host, user or database', () => {
    const lines = output
      .join('')
      .split('\n')
      .filter((l) => l.includes('SANDBOX_USE_DATABASE_URLS is on'));
    expect(lines).toHaveLength(1);
    const warning = JSON.parse(lines[0]!) as { level: number; msg: string; environments: string[] };
    expect(warning.level).toBe(40);
    expect(warning.environments).toEqual(['staging']);
    expect(warning.msg).toContain(
      'deploys to the databases your environment names for staging (STAGING_DATABASE_URL)',
    );
    const { host, hostname, username, pathname } = new URL(staging);
    for (const secret of [staging, host, hostname, username, pathname.slice(1), pgPassword()])
      expect(lines[0]).not.toContain(secret);
  });

  it('listens on 127.0.0.1 only: the sandbox page and the bot behind it', () => {
    const port = Number(new URL(url).port);
    expect(botPort).toBeGreaterThan(0);
    for (const p of [port, botPort]) {
      expect(listening(p).length).toBeGreaterThan(0);
      expect(listening(p).filter((a) => !LOOPBACK.includes(a))).toEqual([]);
    }
  });

  it('refuses raw requests from another origin, with a foreign Host, or without the page token: 403, nothing applied', async () => {
    const port = new URL(url).port;
    const token = await pageToken(url);
    const json = JSON.stringify({ user: 'U0REQUESTER', text: '001' });
    const attempts: (Record<string, string> & { body: string })[] = [
      // a no-cors fetch from another page: text/plain, form-encoded, even with a token it could not have read
      {
        Origin: 'http://evil.example',
        'content-type': 'text/plain',
        'x-sandbox-token': token,
        body: 'user=U0REQUESTER&text=001',
      },
      { Origin: 'http://evil.example', 'content-type': 'text/plain', body: 'user=U0REQUESTER&text=001' },
      { Origin: 'null', 'content-type': 'application/json', 'x-sandbox-token': token, body: json },
      // DNS rebinding: the attacker's name for 127.0.0.1
      {
        Host: `evil.example:${port}`,
        'content-type': 'application/json',
        'x-sandbox-token': token,
        body: json,
      },
      // what the page sends, but without its token, or with a made-up one
      { 'content-type': 'application/json', body: json },
      { 'content-type': 'application/json', 'x-sandbox-token': 'made.up', body: json },
    ];
    for (const { body, ...headers } of attempts) {
      const r = await raw(url, '/sandbox/command', 'POST', headers, body);
      expect([r.status, headers]).toEqual([403, headers]);
    }
    // reading the channel is refused the same ways
    expect((await raw(url, '/sandbox/state', 'GET', {})).status).toBe(403);
    expect(
      (await raw(url, '/sandbox/state', 'GET', { Host: `evil.example:${port}`, 'x-sandbox-token': token }))
        .status,
    ).toBe(403);
    expect((await raw(url, '/', 'GET', { Host: `evil.example:${port}` })).status).toBe(403);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await query(state, 'select count(*)::int as n from migration_gate_state.runs')).toEqual([
      { n: 0 },
    ]);
    expect(await hasGuarded(staging)).toBe(false);
  });

  // Skipped only on a machine without Debian's chromium (`apt-get install -y chromium`); CI installs it and runs this.
  it.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(
    'in Chromium, another page cannot deploy (no-cors POST) or frame the sandbox; the sandbox page itself deploys',
    async () => {
      const sandbox = `http://localhost:${new URL(url).port}`;
      const evil = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><title>evil</title><iframe id="f" src="${sandbox}/"></iframe>`);
      });
      await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
      try {
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
        const sent = await page.evaluate(async (target) => {
          const attempts = [
            fetch(`${target}/sandbox/command`, {
              method: 'POST',
              mode: 'no-cors',
              headers: { 'content-type': 'text/plain' },
              body: 'user=U0REQUESTER&text=001',
            }),
            fetch(`${target}/sandbox/command`, {
              method: 'POST',
              mode: 'no-cors',
              headers: { 'content-type': 'text/plain' },
              body: JSON.stringify({ user: 'U0REQUESTER', text: '001' }),
            }),
          ];
          return (await Promise.allSettled(attempts)).map((a) => a.status);
        }, sandbox);
        expect(sent).toEqual(['fulfilled', 'fulfilled']); // the browser sent them; the sandbox refused them
        await page.waitForTimeout(500);
        expect(await page.frameLocator('#f').locator('#composer').count()).toBe(0); // not framed
        await new Promise((r) => setTimeout(r, 1000));
        expect(await query(state, 'select count(*)::int as n from migration_gate_state.runs')).toEqual([
          { n: 0 },
        ]);
        expect(await hasGuarded(staging)).toBe(false);

        const own = await browser.newPage();
        await own.goto(sandbox);
        await own.selectOption('#user', 'U0REQUESTER');
        await own.fill('#text', '/deploy-migration 001');
        await own.press('#text', 'Enter');
        await expect
          .poll(() => own.locator('#messages > li').first().innerText(), { timeout: 30_000 })
          .toMatch(/Run #1 · 001_guarded[\s\S]*Succeeded/);
        expect(await hasGuarded(staging)).toBe(true);
      } finally {
        await browser.close();
        evil.close();
      }
    },
  );
});
