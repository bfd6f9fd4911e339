/** Issue 10, point 5: a run whose card cannot be posted holds nothing; a run that never began is released. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSlashCommand } from '../../src/sandbox/sign.js';
import {
  CHANNEL,
  ephemerals,
  type Harness,
  SIGNING_SECRET,
  startHarness,
  textOf,
} from '../support/harness.js';
import { query } from '../support/pg.js';

const OUTSIDE = 'C0NOTINVITED';

describe('the run card comes before any lock', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ notInChannel: [OUTSIDE] });
  });
  afterAll(async () => h?.stop());

  const slashIn = (channel: string, text: string) =>
    sendSlashCommand(h.bot.url!, SIGNING_SECRET, {
      command: '/deploy-migration',
      text,
      user_id: 'U0REQUESTER',
      channel_id: channel,
      response_url: h.slack.responseUrl('U0REQUESTER', channel),
    });

  it('a channel the bot is not in: nothing is held, the person is told to invite the bot', async () => {
    expect((await slashIn(OUTSIDE, '001_initial_schema')).status).toBe(200);
    await h.settle();
    const said = ephemerals(h.slack).at(-1)!;
    expect(said).toContain('Run not started');
    expect(said).toContain(`Invite @migration-gate to <#${OUTSIDE}>`);
    expect(said).toContain('no environment is held');
    expect(
      await query(h.stateUrl, "select id from migration_gate_state.runs where status = 'running'"),
    ).toEqual([]);
    expect(await query(h.stateUrl, 'select env from migration_gate_state.environment_locks')).toEqual([]);
    // Nothing was applied either.
    expect(
      await query(h.targets.staging!, "select 1 from pg_namespace where nspname = 'migration_gate'"),
    ).toEqual([]);

    // The same person, from a channel the bot is in: the run goes ahead (staging is not "busy").
    expect((await slashIn(CHANNEL, '001_initial_schema')).status).toBe(200);
    await h.settle();
    expect(ephemerals(h.slack).join('\n')).not.toContain('is busy');
    const card = h.slack.callsTo('chat.update').at(-1)!;
    expect(card.args.channel).toBe(CHANNEL);
    expect(textOf(card.args)).toContain('Succeeded');
  });

  it('a run that never began (its card posted, then the bot stopped) is released at restart', async () => {
    // What the bot left behind when it stopped between taking the run's environments and beginning it.
    const [row] = await query<{ id: number }>(
      h.stateUrl,
      `insert into migration_gate_state.runs (migration, requested_by, channel, status)
       values ('001_initial_schema', 'U0REQUESTER', $1, 'running') returning id`,
      [CHANNEL],
    );
    const id = row!.id;
    await query(
      h.stateUrl,
      "insert into migration_gate_state.environment_locks (env, run_id) values ('staging', $1)",
      [id],
    );
    await query(
      h.stateUrl,
      `insert into migration_gate_state.steps (run_id, idx, env, name, status)
       select $1, i - 1, 'staging', n, 'pending' from unnest(array['preflight', 'apply', 'verify']) with ordinality as t(n, i)`,
      [id],
    );
    h = await h.restart();
    const [run] = await query<{ status: string; reason: string }>(
      h.stateUrl,
      'select status, reason from migration_gate_state.runs where id = $1',
      [id],
    );
    expect(run!.status).toBe('failed');
    expect(run!.reason).toContain('stopped before run');
    expect(await query(h.stateUrl, 'select env from migration_gate_state.environment_locks')).toEqual([]);
    await h.slash('024_atomic_user_behavior_updates');
    await h.settle();
    expect(ephemerals(h.slack).join('\n')).not.toContain('is busy');
    expect(textOf(h.slack.callsTo('chat.update').at(-1)!.args)).toContain('Succeeded');
  });
});
