/** `/deploy-migration …`, after Bolt has acknowledged it: parse the text, then one handler per subcommand. */

import type { DeployConfig } from '../config.js';
import { textMessage } from '../slack/blocks.js';
import { HELP, parseSlashText } from '../slack/command.js';
import * as runs from '../store/runs.js';
import { discoverMigrations } from '../target/files.js';
import { folderOf } from '../targets.js';
import type { Asked, Shell } from './answer.js';
import { startBaseline } from './baseline.js';
import { startDeploy } from './deploy.js';
import { cancel } from './held.js';
import { listCommand } from './list.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';
import { watchCommand } from './watch.js';

export async function slashCommand(s: Shell, a: Asked & { text: string }): Promise<void> {
  await runs.audit(s.deps.db, {
    actor: a.user,
    action: 'command',
    detail: { text: a.text.slice(0, 500), channel: a.channel },
  });
  const parsed = parseSlashText(a.text);
  if (!parsed.ok) return a.respond(textMessage(parsed.message));
  const cmd = parsed.command;
  switch (cmd.kind) {
    case 'help':
      return a.respond(textMessage(helpFor(s.deps.deploy)));
    case 'status':
      return statusCommand(s, cmd.runId, a.respond);
    case 'list':
      return listCommand(s, a.respond);
    case 'cancel':
      return cancel(s, a, cmd.runId);
    case 'verify':
      return verifyCommand(s, a, cmd);
    case 'watch':
    case 'checkpoint':
      return watchCommand(s, a, cmd);
    case 'deploy':
      return startDeploy(s, cmd, a, a.respond);
    case 'baseline':
      return startBaseline(s, cmd, a, a.respond);
  }
}

/**
 * The help text with this project's own migration in its examples (user trial: a services project was told to
 * type `024_atomic_user_behavior_updates`, which it does not have): its newest, `service/id` with services.
 */
function helpFor(deploy: DeployConfig): string {
  const service = deploy.services?.[0]?.name;
  const { dir, layout } = folderOf(deploy, service);
  let newest: string | undefined;
  try {
    newest = discoverMigrations(dir, layout).migrations.at(-1)?.id;
  } catch {
    newest = undefined;
  }
  if (!newest) return HELP;
  const own = service ? `${service}/${newest}` : newest;
  return HELP.replaceAll('community/024_rls', own).replaceAll('024_atomic_user_behavior_updates', own);
}
