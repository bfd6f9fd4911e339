/**
 * Issue 10, point 6: a replica starting beside a working one leaves its runs alone; a run whose owner died is
 * recovered. Two real bot processes (src/main.ts in HTTP Slack mode, as `npm start` runs it) on one DATABASE_URL
 * and one staging database, both talking to one stand-in Slack.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from '../../src/sandbox/fake-slack.js';
import { BOT_TOKEN, ephemerals } from '../support/harness.js';
import { createTestDatabase, query } from '../support/pg.js';
import {
  killAll,
  migrationsDir,
  type SlackBot,
  sleepUntil,
  startSlackBot,
  tickAfter,
} from '../support/slack-bots.js';
import { until } from '../support/started.js';

const sleeping = (secs: number) =>
  `select 1 from pg_stat_activity where query like '%pg_sleep(${secs})%' and pid <> pg_backend_pid()`;

describe('two bot processes on one DATABASE_URL', () => {
  const bots: SlackBot[] = [];
  let slack: FakeSlack | undefined;
  let staging = '';
  afterEach(async () => {
    killAll(bots);
    await slack?.close();
    // the killed replica's apply still sleeps in staging; end it
    if (staging)
      await query(
        staging,
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
  });

  it('a starting replica leaves a live run alone, even on its scheduler tick; a run whose owner is gone is recovered on the next tick', async () => {
    slack = await startFakeSlack({ botToken: BOT_TOKEN });
    const config = migrationsDir({
      '002_slower.sql': 'create table slower (id int);\nselect pg_sleep(60);\n',
    });
    const env = {
      DATABASE_URL: await createTestDatabase('mg_replicas_state'),
      STAGING_DATABASE_URL: await createTestDatabase('mg_replicas_staging'),
      DEPLOY_CONFIG: config,
    };
    staging = env.STAGING_DATABASE_URL;
    const state = env.DATABASE_URL;
    const runRow = async (id: number) =>
      (
        await query<{ status: string; reason: string | null }>(
          state,
          'select status, reason from migration_gate_state.runs where id = $1',
          [id],
        )
      )[0];
    const a = await startSlackBot(slack, env);
    bots.push(a);

    // A's first apply lasts until a little after the first scheduler tick that B, started meanwhile, will take.
    const tick = tickAfter(12_000);
    const secs = Math.ceil((tick - Date.now()) / 1000) + 4;
    writeFileSync(
      join(dirname(config), '001_slow.sql'),
      `create table slow (id int);\nselect pg_sleep(${secs});\n`,
    );
    expect((await a.slash('001')).status).toBe(200);
    await until('A to apply', async () => ((await query(staging, sleeping(secs))).length ? true : undefined));

    // Replica B starts while A applies: A's run is not B's to recover, neither at its start nor on its tick.
    const b = await startSlackBot(slack, env);
    bots.push(b);
    expect(Date.now(), 'B started before its first tick').toBeLessThan(tick);
    expect(await runRow(1)).toEqual({ status: 'running', reason: null });
    await b.slash('002');
    expect(
      await until('B to answer', async () => ephemerals(slack!).find((t) => t.includes('is busy'))),
    ).toContain('staging is busy: run #1');
    await sleepUntil(tick + 1_500);
    expect(await query(staging, sleeping(secs)), 'A still applies after B ticked').toHaveLength(1);
    expect(await runRow(1)).toEqual({ status: 'running', reason: null });
    expect(await query(state, 'select env, run_id from migration_gate_state.environment_locks')).toEqual([
      { env: 'staging', run_id: 1 },
    ]);

    // A's apply commits into a run that is still its own, and the run succeeds.
    await until('run #1 to succeed', async () =>
      (await runRow(1))?.status === 'succeeded' ? true : undefined,
    );
    expect(await query(staging, 'select id, run_id from migration_gate.applied_migrations')).toEqual([
      { id: '001_slow', run_id: 1 },
    ]);
    expect(
      await query(state, "select id from migration_gate_state.runs where status <> 'succeeded'"),
    ).toEqual([]);

    // A is killed while applying its next run: B recovers it on its next tick, without a restart.
    await a.slash('002');
    const next = await until('the next run', async () => {
      const rows = await query<{ id: number }>(
        state,
        "select id from migration_gate_state.runs where status = 'running'",
      );
      return rows[0]?.id;
    });
    await until('A to apply 002', async () =>
      (await query(staging, sleeping(60))).length ? true : undefined,
    );
    a.child.kill('SIGKILL');
    await new Promise((r) => a.child.once('exit', r));
    await until('B to recover the run', async () =>
      (await runRow(next))?.status === 'failed' ? true : undefined,
    );
    const recovered = await runRow(next);
    expect(recovered!.reason).toContain('The bot stopped while this run was in progress');
    expect(await query(state, 'select env from migration_gate_state.environment_locks')).toEqual([]);
    // B's tick logs what it did once it is done: wait for that line (stdout arrives a moment after the rows).
    await until('B to log its tick', async () =>
      /"acted":[1-9]/.test(b.output.join('')) ? true : undefined,
    );
    expect(b.output.join('')).not.toContain('runs that were in progress when the bot stopped');
  });
});
