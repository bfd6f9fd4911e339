/** Run checks now: the Run verification button, and `/deploy-migration verify …` (of a run, or of a migration). */
import { findMigration } from '../deploy/files.js';
import { forbidden } from '../deploy/people.js';
import { groupsNamed, readGroups } from '../run/policy.js';
import { noRun } from '../run/runner.js';
import { textMessage } from '../slack/blocks.js';
import { checksReply } from '../slack/check-blocks.js';
import type { SlashCommand } from '../slack/command.js';
import { esc, escKeepingMentions } from '../slack/mrkdwn.js';
import type { StepRef } from '../slack/refs.js';
import { claimClick } from '../store/claims.js';
import * as runs from '../store/runs.js';
import { discoverMigrations } from '../target/files.js';
import { folderOf, targetOf } from '../targets.js';
import { runVerify } from '../verification.js';
import { type Asked, actFor, type Shell } from './answer.js';
import { pickServices } from './release.js';

/** Run verification: one click, one verification, however many replicas Slack's delivery reaches. */
export async function verifyButton(s: Shell, a: Asked & { ref: StepRef }): Promise<void> {
  // The same click delivered to another replica too: the first to claim it acts, the others do nothing at all.
  if (a.triggerId && !(await claimClick(s.deps.db, `verify:${a.triggerId}`))) return;
  await actFor(s, a.ref.run, a, { type: 'verifyNow', index: a.ref.step, at: s.deps.now(), by: a.user });
}

export async function verifyCommand(s: Shell, a: Asked, cmd: Extract<SlashCommand, { kind: 'verify' }>) {
  const { deploy, db } = s.deps;
  const names = deploy.environments.map((e) => e.name);
  if (cmd.on && !names.includes(cmd.on))
    return a.respond(
      textMessage(
        `There is no environment "${esc(cmd.on)}". Environments in deploy.yml: ${names.join(', ')}.`,
      ),
    );
  if (cmd.runId !== undefined) {
    const run = await runs.loadRun(db, cmd.runId);
    if (!run) return a.respond(textMessage(noRun(cmd.runId)));
    const target = run.steps
      .map((step, i) => ({ step, i }))
      .filter(
        ({ step }) =>
          step.name === 'verify' &&
          !['pending', 'skipped'].includes(step.status) &&
          (!cmd.on || step.env === cmd.on),
      )
      .at(-1);
    if (!target)
      return a.respond(
        textMessage(`Run #${run.id} has not reached verification${cmd.on ? ` on ${esc(cmd.on)}` : ''} yet.`),
      );
    const d = await actFor(s, run.id, a, {
      type: 'verifyNow',
      index: target.i,
      at: s.deps.now(),
      by: a.user,
    });
    if (d.ok)
      await a.respond(
        textMessage(
          `Ran the checks of run #${run.id} on ${esc(target.step.env)}; the table is in the run's thread.`,
        ),
      );
    return;
  }
  // With services, the migration is named service/migration (or found in the one service that has it).
  const picked = deploy.services ? pickServices(deploy, cmd.migration ?? '', false) : undefined;
  if (picked && !picked.ok) return a.respond(textMessage(picked.message));
  const service = picked?.ok ? picked.services[0] : undefined;
  const folder = folderOf(deploy, service);
  const { migrations } = discoverMigrations(folder.dir, folder.layout);
  const wanted = picked?.ok
    ? picked.migration.slice(picked.migration.indexOf('/') + 1)
    : (cmd.migration ?? '');
  const migration = findMigration(migrations, wanted);
  if (!migration)
    return a.respond(
      textMessage(
        `There is no migration ${esc(JSON.stringify(cmd.migration))}. Available: ${migrations.map((m) => `\`${m.id}\``).join(', ')}.`,
      ),
    );
  const env = targetOf(deploy, cmd.on ?? names[0]!, service)!;
  const groups = await readGroups(s.deps.chat, groupsNamed(deploy));
  const no = forbidden(
    { policy: s.deps.policy, groups },
    undefined,
    a.user,
    'verifyNow',
    env.name,
    'verify.refused',
  );
  if (no) {
    await runs.audit(db, { actor: a.user, action: 'verify.refused', detail: { refused: no.refused } });
    return a.respond(textMessage(escKeepingMentions(no.refused)));
  }
  const outcome = await runVerify(env, [migration], undefined, s.deps.footprints, undefined, true);
  await runs.audit(db, {
    actor: a.user,
    action: 'verify.on_demand',
    detail: { migration: migration.id, env: env.name, summary: outcome.summary },
  });
  const what = service ? `${service}/${migration.id}` : migration.id;
  return a.respond(checksReply(outcome.result, `Verification of ${esc(what)} on ${esc(env.name)}`));
}
