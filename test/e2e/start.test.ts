/** `npm start` as a user runs it: a real process, sandbox mode, then killed mid-apply and started again. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/net.js';
import { createTestDatabase, pgPassword, query } from '../support/pg.js';
import {
  click,
  command,
  hasButton,
  messages,
  processes,
  ROOT,
  shown,
  start,
  stop,
  tree,
  until,
} from '../support/started.js';

describe('npm start', () => {
  const children: ChildProcess[] = [];
  const dataDirs: string[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) {
      try {
        process.kill(-c.pid!, 'SIGKILL'); // its whole process group
      } catch {
        /* gone already */
      }
    }
    // a PostgreSQL left behind by a failed test (its helpers are in their own groups and follow it)
    for (const dir of dataDirs.splice(0))
      for (const p of processes().filter((x) => x.cmd.includes(dir))) process.kill(p.pid, 'SIGKILL');
  });

  it('in sandbox mode serves /healthz and completes a first run; killed mid-apply, it restarts and the run is marked interrupted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-start-'));
    writeFileSync(join(dir, '001_slow.sql'), 'create table slow (id int);\nselect pg_sleep(1.5);\n');
    writeFileSync(join(dir, '002_fast.sql'), 'create table fast (id int);\n');
    writeFileSync(
      join(dir, 'deploy.yml'),
      `migrations: .\nenvironments:\n  - name: staging\n    database: \${STAGING_DATABASE_URL}\n`,
    );
    const env = {
      DATABASE_URL: await createTestDatabase('mg_start_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_start_staging'),
      DEPLOY_CONFIG: join(dir, 'deploy.yml'),
      SANDBOX_USE_DATABASE_URLS: '1', // the sandbox deploys to this test's database
    };
    const first = await start(env);
    children.push(first.child);
    expect(first.output.join('')).toContain('Sandbox mode (no SLACK_BOT_TOKEN)');
    const page = await fetch(`${first.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<title>migration-gate sandbox</title>');

    const r = await command(first.url, '001_slow');
    expect(r.status).toBe(200);
    await until('the apply to start', async () =>
      (
        await query(
          env.STAGING_DATABASE_URL,
          "select 1 from pg_stat_activity where query like '%pg_sleep(1.5)%' and pid <> pg_backend_pid()",
        )
      ).length > 0
        ? true
        : undefined,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await start(env);
    children.push(second.child);
    const [run] = await query<{ status: string; reason: string }>(
      env.DATABASE_URL,
      'select status, reason from migration_gate_state.runs where id = 1',
    );
    expect(run!.status).toBe('failed');
    expect(run!.reason).toContain('The bot stopped while this run was in progress');
    expect(await query(env.STAGING_DATABASE_URL, "select to_regclass('slow') as t")).toEqual([{ t: null }]);

    // once the killed session's backend has gone, a new run applies both files exactly once
    await until('the old backend to exit', async () =>
      (
        await query(
          env.STAGING_DATABASE_URL,
          "select 1 from pg_stat_activity where query like '%pg_sleep(1.5)%' and pid <> pg_backend_pid()",
        )
      ).length === 0
        ? true
        : undefined,
    );
    await command(second.url, '002');
    const card = await until('the run to finish', async () =>
      (await messages(second.url)).find(
        (m) => !m.threadTs && m.text.startsWith('Run #2') && /succeeded|failed/.test(m.text),
      ),
    );
    expect(card.text).toContain('Run #2 · 002_fast · succeeded');
    // the interrupted run's card, posted before the kill, is still there and now says so
    expect((await messages(second.url)).find((m) => m.text.startsWith('Run #1 '))!.text).toBe(
      'Run #1 · 001_slow · failed',
    );
    const ledger = await query(
      env.STAGING_DATABASE_URL,
      'select id from migration_gate.applied_migrations order by id',
    );
    expect(ledger).toEqual([{ id: '001_slow' }, { id: '002_fast' }]);
    const all = first.output.join('') + second.output.join('');
    expect(all).not.toContain(pgPassword());
  });

  it('in sandbox mode keeps the channel across a restart: the page shows it, old cards update, a half-approved gate can be clicked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-start-keep-'));
    writeFileSync(join(dir, '001_keep.sql'), 'create table keep (id int);\n');
    writeFileSync(
      join(dir, 'deploy.yml'),
      [
        'migrations: .',
        'environments:',
        '  - name: production',
        '    database: ${PRODUCTION_DATABASE_URL}',
        '    approvals:',
        '      - { role: product owner, users: [U0PO], count: 1 }',
        '      - { role: dba, usergroup: S0DBA, count: 1 }',
        '',
      ].join('\n'),
    );
    const env = {
      DATABASE_URL: await createTestDatabase('mg_start_keep_state'),
      PRODUCTION_DATABASE_URL: await createTestDatabase('mg_start_keep_prod'),
      DEPLOY_CONFIG: join(dir, 'deploy.yml'),
      SANDBOX_USE_DATABASE_URLS: '1',
    };
    const first = await start(env);
    children.push(first.child);
    expect((await command(first.url, '001_keep')).status).toBe(200);
    const gate = await until('the approval card', async () =>
      (await messages(first.url)).find((m) => hasButton(m, 'gate.approve')),
    );
    expect((await click(first.url, gate, 'gate.approve', 'U0DBA')).status).toBe(200);
    const card = await until('the first approval on the run card', async () =>
      (await messages(first.url)).find((m) => !m.threadTs && shown(m).includes('dba 1/1')),
    );
    const before = (await messages(first.url)).filter((m) => !m.visibleTo);
    await stop(first.child);

    const second = await start(env);
    children.push(second.child);
    // the page shows the same channel: the run card, its thread and the approval card, as they were
    const after = await messages(second.url);
    expect(after.map((m) => [m.ts, m.threadTs, m.text])).toEqual(
      before.map((m) => [m.ts, m.threadTs, m.text]),
    );
    expect(shown(after.find((m) => m.ts === card.ts)!)).toContain('dba 1/1');

    // the approval card posted before the restart takes the second approval, and the old run card is updated
    expect((await click(second.url, gate, 'gate.approve', 'U0PO')).status).toBe(200);
    const done = await until('the run to finish', async () =>
      (await messages(second.url)).find((m) => m.ts === card.ts && /succeeded|failed/.test(m.text)),
    );
    expect(done.text).toContain('Run #1 · 001_keep · succeeded');
    expect(done.edited).toBe(true);
    expect((await messages(second.url)).filter((m) => !m.threadTs && !m.visibleTo)).toHaveLength(1);
    expect(await query(env.PRODUCTION_DATABASE_URL, "select to_regclass('keep')::text as t")).toEqual([
      { t: 'keep' },
    ]);
    expect(second.output.join('')).not.toContain('message_not_found');
  });

  it.each<[string, 'npm' | 'tsx', (c: ChildProcess) => void]>([
    ['npm start, SIGTERM to npm', 'npm', (c) => c.kill('SIGTERM')],
    ['npm start, Ctrl-C (SIGINT to its process group)', 'npm', (c) => process.kill(-c.pid!, 'SIGINT')],
    ['tsx src/main.ts, SIGTERM to tsx', 'tsx', (c) => c.kill('SIGTERM')],
  ])('%s stops the whole tree: the bot, tsx and embedded PostgreSQL', async (_, how, signal) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mg-start-stop-'));
    dataDirs.push(dataDir);
    const started = await start({ DATA_DIR: dataDir }, 'Sandbox mode', how);
    children.push(started.child);
    const running = tree(started.child.pid!);
    const postgres = running.filter((p) => p.cmd.includes(join(dataDir, 'pg')));
    expect(postgres.length).toBeGreaterThan(0);
    expect(running.some((p) => p.cmd.includes('src/main.ts'))).toBe(true);

    signal(started.child);
    await until(
      'every process to exit',
      async () => {
        const pids = new Set(processes().map((p) => p.pid));
        return running.every((p) => !pids.has(p.pid)) ? true : undefined;
      },
      20_000,
    ).catch((e) => {
      const left = processes().filter((p) => running.some((r) => r.pid === p.pid));
      throw new Error(
        `${(e as Error).message}; still running:\n${left.map((p) => `${p.pid} ${p.cmd}`).join('\n')}`,
      );
    });
    expect(processes().filter((p) => p.cmd.includes(dataDir))).toEqual([]);
    // npm start runs the entry under node itself: the bot stopped in order (sandbox, bot, store, then PostgreSQL),
    // not cut short by an exit hook. Under the tsx CLI, tsx SIGKILLs its child when the child has not acknowledged
    // a relayed signal within ~30 ms (seen on a loaded machine): there only the tree's stopping is guaranteed.
    if (how === 'npm') expect(started.output.join('')).toContain('"msg":"stopped"');
  });

  it('never starts the sandbox when Slack credentials are present, and says which mode is on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-start-slack-'));
    writeFileSync(
      join(dir, 'deploy.yml'),
      `migrations: .\nenvironments:\n  - name: staging\n    database: \${STAGING_DATABASE_URL}\n`,
    );
    const started = await start(
      {
        DATABASE_URL: await createTestDatabase('mg_start_slack'),
        STAGING_DATABASE_URL: await createTestDatabase('mg_start_slack_t'),
        DEPLOY_CONFIG: join(dir, 'deploy.yml'),
        SLACK_BOT_TOKEN: 'xoxb-real-looking-token',
        SLACK_SIGNING_SECRET: 'a-signing-secret',
        SLACK_API_URL: 'http://127.0.0.1:9/api/',
      },
      'Slack mode: HTTP',
    );
    children.push(started.child);
    const log = started.output.join('');
    expect(log).toContain('Slack mode: HTTP on port');
    expect(log).not.toContain('Sandbox mode');
    expect((await fetch(`${started.url}/`)).status).toBe(404);
    expect((await fetch(`${started.url}/sandbox/state`)).status).toBe(404);
    expect(log).not.toContain('xoxb-real-looking-token');
  });

  it('refuses to start with a clear message when deploy.yml is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-start-bad-'));
    writeFileSync(join(dir, 'deploy.yml'), 'environments:\n  - name: staging\n    database: ${NOPE_URL}\n');
    const output: string[] = [];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: await createTestDatabase('mg_start_bad'),
        DEPLOY_CONFIG: join(dir, 'deploy.yml'),
        PORT: String(await freePort()),
        SLACK_BOT_TOKEN: 'xoxb-not-used',
        SLACK_SIGNING_SECRET: 'x',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout!.on('data', (d) => output.push(String(d)));
    child.stderr!.on('data', (d) => output.push(String(d)));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(output.join('')).toContain('environments[0].database: environment variable NOPE_URL is not set');
    expect(output.join('')).toContain('migrations: folder ./migrations does not exist');
  });
});
