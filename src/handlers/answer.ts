/** What every handler shares: the shell it works with, and the person's answer when decide() refused. */
import type { Decision } from '../deploy/decision.js';
import type { Deps } from '../run/deps.js';
import type { Runner } from '../run/runner.js';
import { renderAll } from '../run/views.js';
import { textMessage } from '../slack/blocks.js';
import type { Respond } from '../slack/chat.js';
import { escKeepingMentions } from '../slack/mrkdwn.js';
import * as runs from '../store/runs.js';

export interface Shell {
  readonly deps: Deps;
  readonly runner: Runner;
}

/** A person's click or command, after Bolt acknowledged it and its payload parsed. */
export interface Asked {
  readonly user: string;
  readonly channel: string;
  readonly respond: Respond;
  readonly triggerId?: string;
}

/** Tell the person why not (and redraw the run's cards when the one they used was out of date). */
export async function answer(s: Shell, d: Decision, runId: number, respond: Respond): Promise<void> {
  if (d.ok) return;
  await respond(textMessage(escKeepingMentions(d.refused)));
  if (d.refresh) {
    const run = await runs.loadRun(s.deps.db, runId);
    if (run) await renderAll(s.deps, run);
  }
}

/** Act for a person and answer them when refused; the decision, for what to say when it went through. */
export async function actFor(s: Shell, runId: number, a: Asked, event: Parameters<Runner['act']>[1]) {
  const d = await s.runner.act(runId, event, {
    respond: a.respond,
    triggerId: a.triggerId,
    channel: a.channel,
  });
  await answer(s, d, runId, a.respond);
  return d;
}
