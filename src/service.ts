/**
 * The bot's shell, composed: its dependencies, the run runner (the one writer of runs), and the handlers Slack's
 * bindings (slack/register.ts) and the scheduler call. Every handler runs after the ack, in the background.
 */
import type { Decision as Verdict } from './deploy/approvals.js';
import { answerAlert } from './handlers/alert.js';
import type { Asked, Shell } from './handlers/answer.js';
import { gateClick } from './handlers/gate-click.js';
import { cancel, rollbackOrRerun } from './handlers/held.js';
import { restoreClick } from './handlers/restore.js';
import { slashCommand } from './handlers/slash.js';
import { verifyButton } from './handlers/verify.js';
import { recoverOrphans } from './recovery.js';
import { createBackupTick } from './run/backup-tick.js';
import { createDeps, type ShellOptions } from './run/deps.js';
import { createRunner } from './run/runner.js';
import { gateTick, monitorTick } from './run/ticks.js';
import { textMessage } from './slack/blocks.js';
import type { AlertRef, StepRef } from './slack/refs.js';

export type ServiceDeps = ShellOptions;
export type Service = ReturnType<typeof createService>;

export function createService(options: ShellOptions) {
  const deps = createDeps(options);
  const runner = createRunner(deps);
  const shell: Shell = { deps, runner };
  const pruneBackups = createBackupTick(deps);

  /** Run `work` after the ack; tell the person when it fails on our side. */
  const guarded = (what: string, a: Asked, work: () => Promise<unknown>) =>
    deps.background(what, async () => {
      try {
        await work();
      } catch (e) {
        deps.log.error({ err: e }, `${what} failed`);
        await a
          .respond(
            textMessage(
              'Something went wrong on our side while handling that. The bot log has the details; try again, or ask whoever runs the bot.',
            ),
          )
          .catch(() => {});
      }
    });

  type Step = Asked & { ref: StepRef };
  return {
    /** Bindings: one handler per slash command and per button or modal action (see slack/register.ts). */
    handleSlash: (a: Asked & { text: string }) => guarded('slash command', a, () => slashCommand(shell, a)),
    gate: (a: Step & { decision: Verdict; reason?: string }) =>
      guarded('click', a, () => gateClick(shell, a)),
    cancel: (a: Step) => guarded('click', a, () => cancel(shell, a, a.ref.run)),
    rollback: (a: Step) => guarded('click', a, () => rollbackOrRerun(shell, a, 'rollback')),
    rerun: (a: Step) => guarded('click', a, () => rollbackOrRerun(shell, a, 'rerun')),
    verify: (a: Step) => guarded('click', a, () => verifyButton(shell, a)),
    restore: (a: Step, what: 'restore' | 'finish') => guarded('click', a, () => restoreClick(shell, a, what)),
    alert: (a: Asked & { ref: AlertRef }, keep: boolean) =>
      guarded('click', a, () => answerAlert(shell, a, keep)),
    /** The scheduler's tick: recover orphaned runs, gates, checkpoints, then backups past keepFor. Timed. */
    tick: (now: Date) =>
      deps.metrics.timeTick(
        async () =>
          (await recoverOrphans(deps, runner)) +
          (await gateTick(deps, runner.act, now)) +
          (await monitorTick(deps, runner, now)).runs +
          (await pruneBackups(now)),
      ),
    /** The monitoring part of the tick, with how many checkpoint rows it took (the benchmark counts them). */
    monitorTick: (now: Date) => monitorTick(deps, runner, now),
    /** At start: runs whose owner is gone end as interrupted (an interrupted rollback holds); see recovery.ts. */
    reconcile: () => recoverOrphans(deps, runner),
    /** Resolves when every piece of background work has finished (tests, graceful shutdown). */
    idle: deps.idle,
  };
}
