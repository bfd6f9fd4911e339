/**
 * perform: carry out what decide() asked for, after the decision is saved. Exhaustive: a new kind of effect does
 * not compile until it is handled here. A step's result is returned as the next event.
 */
import { gateName } from '../deploy/approvals.js';
import type { Decision, Effect } from '../deploy/decision.js';
import type { Run, RunEvent } from '../deploy/types.js';
import { inStep } from '../observe/log-context.js';
import { postReport } from '../reporting.js';
import { textMessage } from '../slack/blocks.js';
import type { Respond } from '../slack/chat.js';
import { approvalCard, reasonModal } from '../slack/gate-blocks.js';
import { monitorMessage } from '../slack/monitor-blocks.js';
import { addExtraCheckpoint } from '../store/checkpoints.js';
import * as runs from '../store/runs.js';
import { digestOf } from '../target/files.js';
import { postChart } from './chart.js';
import type { Deps } from './deps.js';
import { monitorView, postAlert, redrawAlert, startMonitor } from './monitor-view.js';
import { notify } from './notify.js';
import { verifySiblings } from './service-scope.js';
import { gateView, remind, renderAll, renderCard, renderGate, reply } from './views.js';
import { executeStep, verifyOnDemand } from './work.js';

/** The person whose click or command this is: where to answer them. */
export interface Asker {
  readonly respond?: Respond;
  readonly triggerId?: string;
  readonly channel?: string;
}

/** Act on a run (run/runner.ts): decide, save, perform. */
export type Act = (runId: number, event: RunEvent, asker?: Asker) => Promise<Decision>;

/** What the scheduler's ticks act through: `act`, and `actOn` for an event of the bot's own on a run it loaded. */
export interface Actor {
  readonly act: Act;
  /** `shown`: the run has a card in Slack (false: nothing to redraw). */
  readonly actOn: (run: Run, event: RunEvent, shown?: boolean) => Promise<Decision>;
}

export interface PerformParts {
  /** Take the due checkpoints now (a checkpoint on command is one of them). */
  readonly monitorTick: (now: Date) => Promise<unknown>;
}

export function createPerform(deps: Deps, parts: PerformParts) {
  /** A step's work: every line logged meanwhile carries the run id and the step (observe/log-context.ts). */
  function step(run: Run, index: number): Promise<RunEvent> {
    const { name, env } = run.steps[index]!;
    return inStep(run.id, index, name, async () => {
      deps.log.info({ env }, `${name} on ${env} started`);
      const ended = await executeStep(deps, run, index);
      const outcome = ended.type === 'stepSucceeded' ? 'succeeded' : 'failed';
      const durationMs = 'durationMs' in ended ? ended.durationMs : undefined;
      deps.log.info({ env, outcome, durationMs }, `${name} on ${env} ${outcome}`);
      return ended;
    });
  }

  /** One effect; `skip` is set when the ones after it have nothing to do (a checkpoint someone else took). */
  async function one(run: Run, effect: Effect, asker: Asker): Promise<RunEvent | 'stop' | undefined> {
    switch (effect.type) {
      case 'renderCard':
        return void (await renderCard(deps, run));
      case 'renderGate':
        return void (await renderGate(deps, run, effect.index));
      case 'renderAll':
        return void (await renderAll(deps, (await runs.loadRun(deps.db, run.id)) ?? run));
      case 'openGate':
        return void (await reply(
          deps,
          run,
          `gate:${effect.index}`,
          approvalCard(run, await gateView(deps, run, effect.index)),
        ));
      case 'runStep':
        return step(run, effect.index);
      case 'startMonitor':
        return void (await startMonitor(deps, run, effect.index));
      case 'report':
        await postReport({ db: deps.db, deploy: deps.deploy, chat: deps.chat, log: deps.log }, run);
        deps.log.info({ runId: run.id, status: run.status }, 'run ended');
        return;
      case 'remind':
        return void (await remind(deps, run, effect.index));
      case 'askReason':
        await deps.chat.openModal(
          asker.triggerId ?? '',
          reasonModal(
            effect.decision,
            { run: run.id, step: effect.index, digest: digestOf(run.checksums) },
            asker.channel ?? run.channel,
            // "production", or "the business stage of production"
            gateName(run.steps[effect.index]!),
          ),
        );
        return;
      case 'alert':
        return void (await postAlert(deps, run, effect.index, effect.level, effect.judged, effect.rollback));
      case 'verifyNow':
        // With services, every service's verification on that environment, one table each.
        for (const i of verifySiblings(run, effect.index)) await verifyOnDemand(deps, run, i, effect.by);
        return;
      case 'takeCheckpoint': {
        const now = deps.clock();
        if (!(await addExtraCheckpoint(deps.db, run.id, effect.index, now))) {
          await asker.respond?.(
            textMessage(
              `A checkpoint of run #${run.id} was just taken on command by someone else (one a minute).`,
            ),
          );
          return 'stop';
        }
        await parts.monitorTick(now);
        return;
      }
      case 'showMonitor': {
        const now = (await runs.loadRun(deps.db, run.id)) ?? run;
        return void (await asker.respond?.(
          monitorMessage(run.id, await monitorView(deps, now, effect.index)),
        ));
      }
      case 'redrawAlert':
        return void (await redrawAlert(deps, effect.alert, effect.by, effect.keep));
      case 'chart':
        return void (await postChart(deps, run, effect.index));
      case 'notify':
        return void (await notify(deps, run, effect));
      default: {
        const never: never = effect;
        throw new Error(`no way to perform ${JSON.stringify(never)}`);
      }
    }
  }

  /** Every effect in order; the event a step ended in, if one ran. */
  return async function perform(
    run: Run,
    effects: readonly Effect[],
    asker: Asker,
  ): Promise<RunEvent | undefined> {
    let next: RunEvent | undefined;
    for (const effect of effects) {
      const r = await one(run, effect, asker);
      if (r === 'stop') break;
      if (r) next = r;
    }
    return next;
  };
}
