/**
 * `/deploy-migration baseline <migration> on <env>`: a run that marks the migrations up to and including it as
 * applied on one environment without running them (preflight, the environment's gate, the baseline step).
 */
import { environmentsFor, planSteps } from '../deploy/plan.js';
import { textMessage } from '../slack/blocks.js';
import type { Respond } from '../slack/chat.js';
import type { SlashCommand } from '../slack/command.js';
import { escKeepingMentions } from '../slack/mrkdwn.js';
import { checksumsUpTo } from '../target/files.js';
import type { Shell } from './answer.js';
import { launchRun, neverApproved, pickMigration } from './deploy.js';

export async function startBaseline(
  s: Shell,
  cmd: Extract<SlashCommand, { kind: 'baseline' }>,
  input: { user: string; channel: string },
  respond: Respond,
): Promise<void> {
  const { deploy } = s.deps;
  if (deploy.services)
    return respond(
      textMessage(
        "Baseline not started: deploy.yml lists services:, and a baseline marks one folder's files on one database; it does not handle services yet (docs/services.md). Nothing was recorded.",
      ),
    );
  const picked = pickMigration(deploy, cmd.migration, 'nothing is baselined');
  if (!picked.ok) return respond(textMessage(picked.message));
  const { migrations, migration } = picked;
  const names = deploy.environments.map((e) => e.name);
  const known = environmentsFor(names, cmd.on);
  if (!known.ok) return respond(textMessage(escKeepingMentions(known.refused)));
  // One environment: a baseline says what is true of one database, not of a promotion path.
  const envs = [cmd.on];
  const never = await neverApproved(s, envs, input.user);
  if (never) return respond(textMessage(`Baseline not started. ${escKeepingMentions(never)}`));
  return launchRun(s, input, respond, {
    migration: migration.id,
    envs,
    steps: planSteps(
      [{ name: cmd.on, gated: s.deps.policy.gated(cmd.on), stages: s.deps.policy.stages?.(cmd.on) }],
      'baseline',
    ),
    checksums: checksumsUpTo(migrations, migration.id),
  });
}
