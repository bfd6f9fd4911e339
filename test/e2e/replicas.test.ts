/**
 * Issue 10, point 6: a replica starting beside a working one leaves its runs alone; a run whose owner died is
 * recovered. Replica A is a real process (as `npm start` runs it); replica B a Bolt app in this process, both on
 * one DATABASE_URL and one staging database.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ephemerals, type Harness, startHarness } from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';
import { command, start, until } from '../support/started.js';

const FILES = {
  '001_slow.sql': 'create table slow (id int);\nselect pg_sleep(6);\n',
  '002_slower.sql': 'create table slower (id int);\nselect pg_sleep(30);\n',
};
const sleeping = (secs: number) =>
  `select 1 from pg_stat_activity where query like '%pg_sleep(${secs})%' and pid <> pg_backend_pid()`;

describe('two replicas on one DATABASE_URL', () => {
  const children: ChildProcess[] = [];
  let b: Harness | undefined;
  afterEach(async () => {
    await b?.stop();
    for (const c of children.splice(0))
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone already */
      }
  });

  it('a starting replica leaves a live run alone; a run whose owner is gone is recovered on the next tick', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-replicas-'));
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
    writeFileSync(
      join(dir, 'deploy.yml'),
      'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
    );
    const env = {
      DATABASE_URL: await createTestDatabase('mg_replicas_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_replicas_staging'),
      DEPLOY_CONFIG: join(dir, 'deploy.yml'),
      SANDBOX_USE_DATABASE_URLS: '1',
    };
    const state = env.DATABASE_URL;
    const runRow = async (id: number) =>
      (
        await query<{ status: string; reason: string | null }>(
          state,
          'select status, reason from migration_gate_state.runs where id = $1',
          [id],
        )
      )[0];
    const a = await start(env);
    children.push(a.child);
    await command(a.url, '001');
    await until('A to apply', async () =>
      (await query(env.STAGING_DATABASE_URL, sleeping(6))).length ? true : undefined,
    );

    // Replica B starts while A applies: A's run is not B's to recover.
    b = await startHarness({
      migrations: FILES,
      targetUrls: { staging: env.STAGING_DATABASE_URL },
      stateUrl: state,
    });
    expect(await b.bot.service.tick(new Date())).toBe(0);
    expect(await runRow(1)).toEqual({ status: 'running', reason: null });
    expect(await query(state, 'select env, run_id from migration_gate_state.environment_locks')).toEqual([
      { env: 'staging', run_id: 1 },
    ]);
    await b.slash('002');
    await b.settle();
    expect(ephemerals(b.slack).at(-1)).toContain('staging is busy: run #1');

    // A's apply commits into a run that is still its own, and the run succeeds.
    await until('run #1 to succeed', async () =>
      (await runRow(1))?.status === 'succeeded' ? true : undefined,
    );
    expect(
      await query(env.STAGING_DATABASE_URL, 'select id, run_id from migration_gate.applied_migrations'),
    ).toEqual([{ id: '001_slow', run_id: 1 }]);
    expect(await query(state, "select id from migration_gate_state.runs where status = 'failed'")).toEqual(
      [],
    );

    // A is killed while applying its next run: B recovers it on its next tick, without a restart.
    await command(a.url, '002');
    const third = await until('the next run', async () => {
      const rows = await query<{ id: number }>(
        state,
        "select id from migration_gate_state.runs where status = 'running'",
      );
      return rows[0]?.id;
    });
    await until('A to apply 002', async () =>
      (await query(env.STAGING_DATABASE_URL, sleeping(30))).length ? true : undefined,
    );
    expect(await b.bot.service.tick(new Date())).toBe(0);
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    await until('B to recover the run', async () =>
      (await b!.bot.service.tick(new Date())) === 1 ? true : undefined,
    );
    const recovered = await runRow(third);
    expect(recovered!.status).toBe('failed');
    expect(recovered!.reason).toContain('The bot stopped while this run was in progress');
    expect(await query(state, 'select env from migration_gate_state.environment_locks')).toEqual([]);
  });
});
