/**
 * notify: channels told of a run (docs/after.md), after the decision that asked for it is saved: a short message
 * with a link to the run's thread (chat.getPermalink of its card). A notice Slack refuses is logged, never allowed
 * to stop a run; a bot stopped between the save and the post does not send it later.
 */
import type { Effect } from '../deploy/decision.js';
import type { Run } from '../deploy/types.js';
import { noticeMessage } from '../slack/after-blocks.js';
import { findMessage } from '../store/messages.js';
import type { Deps } from './deps.js';

/** A link to the run's thread (its card), or undefined when there is no card or Slack gives no link. */
export async function threadLink(
  deps: Pick<Deps, 'db' | 'chat' | 'log'>,
  run: Run,
): Promise<string | undefined> {
  const card = await findMessage(deps.db, run.id, 'card');
  if (!card) return undefined;
  return deps.chat.permalink(card.channel, card.ts).then(
    (link) => link || undefined,
    (e: Error) => {
      deps.log.warn({ runId: run.id, error: e.message }, 'Slack gave no link to the run thread');
      return undefined;
    },
  );
}

export async function notify(deps: Deps, run: Run, e: Extract<Effect, { type: 'notify' }>): Promise<void> {
  const link = await threadLink(deps, run);
  const env = e.index === undefined ? undefined : run.steps[e.index]?.env;
  const message = noticeMessage(run, e.notice, env, link, e.metrics);
  for (const channel of e.channels)
    await deps.chat
      .post(channel, message)
      .catch((err: Error) =>
        deps.log.warn(
          { runId: run.id, channel, notice: e.notice, error: err.message },
          'could not notify a channel',
        ),
      );
}
