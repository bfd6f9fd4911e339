/**
 * `/deploy-migration <migration>`: the run card goes to the channel before the run takes anything. A card Slack
 * refuses (the bot is not in the channel, a direct message, Slack down) leaves nothing behind but a sentence to
 * the person who asked.
 */
import type { DeployConfig } from '../config.js';
import { unsatisfiable } from '../deploy/approvals.js';
import { findMigration } from '../deploy/files.js';
import { inFlight, whereNow } from '../deploy/in-flight.js';
import { environmentsFor, isBaseline, planSteps } from '../deploy/plan.js';
import type { Run, Step } from '../deploy/types.js';
import { readGroups } from '../run/policy.js';
import { textMessage } from '../slack/blocks.js';
import type { Respond } from '../slack/chat.js';
import type { SlashCommand } from '../slack/command.js';
import { esc, escKeepingMentions } from '../slack/mrkdwn.js';
import { runCard } from '../slack/run-card.js';
import { rememberMessage } from '../store/messages.js';
import { createRun, type Holder, holderOf, reserveRunId } from '../store/run-start.js';
import * as runs from '../store/runs.js';
import { checksumsUpTo, discoverMigrations, type MigrationFile } from '../target/files.js';
import type { Shell } from './answer.js';
import { type Picked, pickServices } from './release.js';

/**
 * Why a run cannot start: which run holds the environment and what that run is doing now (it may be deploying
 * elsewhere, or only watching): a run holds every environment it goes to until it ends.
 */
const busy = (h: Holder, now?: string) =>
  `${h.env} is busy: run #${h.runId} started by <@${h.requestedBy}> at ${h.since.slice(0, 19).replace('T', ' ')} UTC holds it until that run ends (a run holds every environment it goes to)${now ? `; it is now at ${now}` : ''}. Wait for it to end (\`/deploy-migration status #${h.runId}\`) or cancel it, then run again.`;

async function busyNow(db: Shell['deps']['db'], h: Holder): Promise<string> {
  const run = await runs.loadRun(db, h.runId);
  return busy(h, run ? whereNow(inFlight(run)) : undefined);
}

/** Why Slack would not take the card, said so the person can fix it. Never the raw error beyond Slack's code. */
export function cardRefused(channel: string, e: unknown): string {
  const code = (e as { data?: { error?: unknown } })?.data?.error;
  const where = /^[CG][A-Z0-9]{2,}$/.test(channel) ? `<#${channel}>` : 'this conversation';
  const nothing = 'Nothing was started and no environment is held.';
  if (code === 'not_in_channel' || (code === 'channel_not_found' && where !== 'this conversation'))
    return `Run not started: @migration-gate is not in ${where}, so it cannot post the run card there. Invite @migration-gate to ${where} (\`/invite @migration-gate\`) and run the command again. ${nothing}`;
  if (/^D/.test(channel) || code === 'channel_not_found')
    return `Run not started: a run needs a channel for its card, and @migration-gate cannot post in ${where}. Run the command in a channel @migration-gate is in. ${nothing}`;
  if (code === 'is_archived')
    return `Run not started: ${where} is archived. Run the command in a channel @migration-gate is in. ${nothing}`;
  const why = typeof code === 'string' ? `Slack answered \`${esc(code)}\`` : 'Slack could not be reached';
  return `Run not started: ${why} when the run card was posted. ${nothing} Try again in a moment.`;
}

/** The migration a command names, from the folder as it is; or the sentence saying what is wrong. */
export function pickMigration(
  deploy: DeployConfig,
  name: string,
  nothing: string,
): { ok: true; migrations: MigrationFile[]; migration: MigrationFile } | { ok: false; message: string } {
  const { migrations, problems } = discoverMigrations(deploy.migrationsDir, deploy.migrationsLayout);
  if (problems.length)
    return {
      ok: false,
      message: `The migrations folder has files with bad names, so ${nothing} until they are fixed:\n• ${problems.map(esc).join('\n• ')}`,
    };
  const migration = findMigration(migrations, name);
  if (migration) return { ok: true, migrations, migration };
  const names = migrations.map((m) => `\`${m.id}\``).join(', ') || '(none: the folder is empty)';
  return {
    ok: false,
    message: `There is no migration ${esc(JSON.stringify(name.slice(0, 80)))}. Available: ${names}.`,
  };
}

export async function startDeploy(
  s: Shell,
  cmd: Extract<SlashCommand, { kind: 'deploy' }>,
  input: { user: string; channel: string },
  respond: Respond,
): Promise<void> {
  const { deploy } = s.deps;
  const bound = bindFiles(deploy, cmd);
  if (!bound.ok) return respond(textMessage(bound.message));
  const envs = environmentsFor(
    deploy.environments.map((e) => e.name),
    cmd.to,
  );
  if (!envs.ok) return respond(textMessage(escKeepingMentions(envs.refused)));
  const never = await neverApproved(s, envs.envs, input.user);
  if (never) return respond(textMessage(`Run not started. ${escKeepingMentions(never)}`));
  return launchRun(s, input, respond, {
    migration: bound.migration,
    envs: envs.envs,
    steps: planSteps(
      envs.envs.map((name) => ({
        name,
        gated: s.deps.policy.gated(name),
        stages: s.deps.policy.stages?.(name),
        monitored: !!s.deps.env(name)?.monitor,
        backup: !!s.deps.env(name)?.backup,
        after: s.deps.policy.after?.(name),
      })),
      'deploy',
      bound.services,
    ),
    checksums: bound.checksums,
  });
}

/** The files a deploy binds: a migration and those before it, or with services (release.ts) each service's. */
function bindFiles(deploy: DeployConfig, cmd: Extract<SlashCommand, { kind: 'deploy' }>): Picked {
  if (deploy.services) return pickServices(deploy, cmd.migration, !!cmd.release);
  if (cmd.release)
    return {
      ok: false,
      message:
        '`release` deploys every service listed under `services:` in deploy.yml, and this deploy.yml has none. Name a migration instead, e.g. `/deploy-migration 024_atomic_user_behavior_updates`.',
    };
  const picked = pickMigration(deploy, cmd.migration, 'nothing runs');
  if (!picked.ok) return picked;
  return {
    ok: true,
    migration: picked.migration.id,
    services: [],
    checksums: checksumsUpTo(picked.migrations, picked.migration.id),
  };
}

/** Why a run by `user` through `envs` could never pass a gate (a rule only they could meet), or undefined. */
export async function neverApproved(
  s: Shell,
  envs: readonly string[],
  user: string,
): Promise<string | undefined> {
  // Every gate: the environment's rules, or each of its stages'.
  const gates = envs.flatMap((name) => {
    const stages = s.deps.policy.stages?.(name) ?? [];
    return stages.length
      ? stages.map((stage) => s.deps.policy.gate(name, stage))
      : [s.deps.policy.gate(name)];
  });
  for (const policy of gates) {
    if (!policy.rules.length) continue;
    const groups = await readGroups(
      s.deps.chat,
      policy.rules.flatMap((r) => (r.usergroup ? [r.usergroup] : [])),
    );
    // A group Slack will not give now is no proof the rules can never be met: the gate will say so if it cannot.
    const never = !Object.keys(groups.failed).length && unsatisfiable(policy, user, groups.members);
    if (never) return never;
  }
  return undefined;
}

/**
 * Start a run of `plan`: refused when an environment is busy; its card posted first (a run nobody can see holds
 * nothing), then the run created, audited and begun.
 */
export async function launchRun(
  s: Shell,
  input: { user: string; channel: string },
  respond: Respond,
  plan: { migration: string; envs: string[]; steps: Step[]; checksums: Record<string, string> },
): Promise<void> {
  const { db, chat } = s.deps;
  const refuseBusy = async (h: Holder) => {
    await runs.audit(db, {
      actor: input.user,
      action: 'run.refused',
      detail: { reason: 'busy', holder: h.runId },
    });
    return respond(textMessage(await busyNow(db, h)));
  };
  const holder = await holderOf(db, plan.envs);
  if (holder) return refuseBusy(holder);
  const id = await reserveRunId(db);
  // Owned from the start, so a replica starting meanwhile does not take it for a run that never began.
  return s.deps.live.hold(id, async () => {
    const draft: Run = {
      id,
      migration: plan.migration,
      requestedBy: input.user,
      channel: input.channel,
      status: 'running',
      steps: plan.steps,
      checksums: plan.checksums,
      version: 0,
      createdAt: s.deps.now(),
    };
    // The card first: a run nobody can see must not hold anything.
    let ts: string;
    try {
      ts = await chat.post(input.channel, runCard(draft));
    } catch (e) {
      const why = cardRefused(input.channel, e);
      await runs.audit(db, {
        actor: input.user,
        action: 'run.not_started',
        detail: { migration: plan.migration, channel: input.channel, refused: why },
      });
      return respond(textMessage(why));
    }
    const created = await createRun(db, {
      ...draft,
      steps: [...draft.steps],
      checksums: { ...draft.checksums },
    });
    if (!created.ok) {
      // Another run took an environment between the check and now: this card says it never started.
      await chat
        .update(
          input.channel,
          ts,
          textMessage(`Run #${id} did not start: ${await busyNow(db, created.holder)}`),
        )
        .catch(() => {});
      return refuseBusy(created.holder);
    }
    await rememberMessage(db, id, 'card', input.channel, ts);
    await runs.audit(db, {
      actor: input.user,
      action: 'run.created',
      runId: id,
      detail: {
        migration: draft.migration,
        envs: plan.envs,
        checksums: draft.checksums,
        ...(isBaseline(draft) ? { kind: 'baseline' } : {}),
      },
    });
    await s.runner.act(id, { type: 'begin', at: s.deps.now() });
  });
}
