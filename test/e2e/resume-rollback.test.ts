/** Issue 10, point 7: the bot killed (-9) inside a down file; started again, the rollback is resumed, not redone. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../support/pg.js';
import { click, command, hasButton, messages, shown, start, until } from '../support/started.js';

const SLEEPING =
  "select 1 from pg_stat_activity where query like '%pg_sleep(2.5)%' and pid <> pg_backend_pid()";

describe('an interrupted rollback', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0))
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone already */
      }
  });

  it('says so, offers Resume rollback, and resuming finishes it without re-applying anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-resume-'));
    writeFileSync(join(dir, '001_a.sql'), 'create table a (id int);\n');
    // The older file's down file is slow: the bot is killed inside it, after 002's down file went through.
    writeFileSync(join(dir, '001_a.down.sql'), 'select pg_sleep(2.5);\ndrop table a;\n');
    writeFileSync(join(dir, '002_b.sql'), 'create table b (id int);\n');
    writeFileSync(join(dir, '002_b.down.sql'), 'drop table b;\n');
    writeFileSync(join(dir, '002_b.checks.yml'), '- { name: never true, sql: "select 1", expect: 2 }\n');
    writeFileSync(
      join(dir, 'deploy.yml'),
      'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
    );
    const env = {
      DATABASE_URL: await createTestDatabase('mg_resume_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_resume_staging'),
      DEPLOY_CONFIG: join(dir, 'deploy.yml'),
      SANDBOX_USE_DATABASE_URLS: '1',
    };
    const staging = env.STAGING_DATABASE_URL;
    const first = await start(env);
    children.push(first.child);
    await command(first.url, '002');
    const card1 = () =>
      messages(first.url).then((ms) => ms.find((m) => !m.threadTs && m.text.startsWith('Run #1')));
    const held = await until('verification to hold the run', async () => {
      const m = await card1();
      return m && hasButton(m, 'run.rollback') ? m : undefined;
    });
    expect((await click(first.url, held, 'run.rollback', 'U0REQUESTER')).status).toBe(200);
    await until('the slow down file to run', async () =>
      (await query(staging, SLEEPING)).length ? true : undefined,
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // 002 was rolled back before the kill; 001's down file was cut (its transaction never committed).
    expect(await query(staging, 'select id from migration_gate.applied_migrations')).toEqual([
      { id: '001_a' },
    ]);
    await until('the killed session to end', async () =>
      (await query(staging, SLEEPING)).length ? undefined : true,
    );

    const second = await start(env);
    children.push(second.child);
    const [run] = await query<{ status: string }>(
      env.DATABASE_URL,
      'select status from migration_gate_state.runs',
    );
    expect(run!.status).toBe('running');
    // the log does not call the held rollback failed
    const log = second.output.join('');
    expect(log).toContain(
      'runs that were in progress when the bot stopped are recovered: a run cut short is marked failed, or held for Roll back when files of it went in; a rollback cut short is held for Resume rollback on its card',
    );
    expect(log).not.toContain('are marked failed');
    const card = (await messages(second.url)).find((m) => !m.threadTs && m.text.startsWith('Run #1'))!;
    const text = shown(card);
    expect(text).toContain('The bot stopped in the middle of rolling back staging');
    expect(text).toContain('Resume rollback');
    expect(text).not.toContain('start the run again');
    const resume = card.blocks
      .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
      .find((e) => e.action_id === 'run.rollback');
    expect(JSON.stringify(resume?.text)).toContain('Resume rollback');
    // The environment stays held: a new run is refused while the rollback is unfinished.
    await command(second.url, '002');
    await until('the busy answer', async () =>
      (await messages(second.url)).some((m) => m.visibleTo && m.text.includes('staging is busy: run #1'))
        ? true
        : undefined,
    );

    expect((await click(second.url, card, 'run.rollback', 'U0REQUESTER')).status).toBe(200);
    await until('the run to be rolled back', async () => {
      const [r] = await query<{ status: string }>(
        env.DATABASE_URL,
        'select status from migration_gate_state.runs',
      );
      return r!.status === 'rolled_back' ? true : undefined;
    });
    expect(await query(staging, "select to_regclass('a') as a, to_regclass('b') as b")).toEqual([
      { a: null, b: null },
    ]);
    expect(await query(staging, 'select id from migration_gate.applied_migrations')).toEqual([]);
    // Each file was applied once and rolled back once: nothing was re-applied on the way.
    expect(
      await query(staging, 'select id from migration_gate.rolled_back_migrations order by rolled_back_at'),
    ).toEqual([{ id: '002_b' }, { id: '001_a' }]);
    // (the first request was killed before its audit row; the resume is recorded as what it was)
    expect(
      await query(
        env.DATABASE_URL,
        "select actor from migration_gate_state.audit_events where action = 'rollback.resumed'",
      ),
    ).toEqual([{ actor: 'U0REQUESTER' }]);
  });
});
