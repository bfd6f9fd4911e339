/** The run card: one message in the channel per run, updated in place as the run moves, and its buttons. Pure. */

import { gateKind } from '../deploy/gate-name.js';
import { lockHeld, lockHeldNothingIn } from '../deploy/lock-held.js';
import type { Run, Step, StepStatus } from '../deploy/types.js';
import { restoreButtons, restoreOfferStatus } from './backup-blocks.js';
import { type GateView, gateProgressText } from './gate-blocks.js';
import {
  ACTIONS,
  type Block,
  button,
  context,
  esc,
  escKeepingMentionsOf,
  formatMs,
  type Message,
  mention,
  SYSTEM_ACTOR,
  section,
  when,
} from './mrkdwn.js';
import { encodeStepRef, NO_STEP } from './refs.js';

export const ICON: Record<StepStatus, string> = {
  pending: '▫️',
  running: '⏳',
  waiting: '⏸',
  scheduled: '🕑',
  blocked: '⛔',
  watching: '👀',
  succeeded: '✅',
  failed: '❌',
  skipped: '⏭️',
};

/**
 * A gate's name on its environment's row, by what it decides: "approval", a stage's "approval: business", an
 * after: action's "approval: merge acme/app#42", "rollback approval", "restore approval"; and once it passed.
 */
function gateLabels(run: Run, index: number): { open: string; passed: string } {
  const s = run.steps[index]!;
  const kind = gateKind(run, index);
  if (kind === 'rollback' || kind === 'restore')
    return { open: `${kind} approval`, passed: `${kind} approved` };
  const what = kind === 'after' ? s.after?.label : s.stage;
  const suffix = what === undefined ? '' : `: ${esc(what)}`;
  return { open: `approval${suffix}`, passed: `approved${suffix}` };
}

function stepLabel(run: Run, index: number, gate?: GateView, monitor?: string): string {
  const s = run.steps[index]!;
  if (s.name === 'monitor' && s.status === 'watching' && monitor)
    return `${ICON[s.status]} monitor ${esc(monitor)}`;
  const detail = s.summary && s.status !== 'pending' ? ` ${esc(s.summary)}` : '';
  if (s.name === 'approval') {
    const label = gateLabels(run, index);
    if (gate && (s.status === 'waiting' || s.status === 'scheduled'))
      return `${ICON[s.status]} ${label.open} (${gateProgressText(gate, false)})${
        s.status === 'scheduled' && s.resumeAt
          ? ` · proceeds ${when(s.resumeAt)}`
          : ' · approve in the thread'
      }`;
    if (s.status === 'succeeded') return `${ICON[s.status]} ${label.passed}`;
    return `${ICON[s.status]} ${label.open}${detail}`;
  }
  // An after: action's summary starts with its label (docs/after.md).
  if (s.name === 'after')
    return `${ICON[s.status]} after: ${esc(detail ? s.summary! : (s.after?.label ?? ''))}`;
  return `${ICON[s.status]} ${s.name}${detail}`;
}

/** The card's status line; a reason keeps the mentions the bot wrote in it ("rejected by <@U0DBA>"), of the run's people. */
export function runStatusLine(run: Run): string {
  const why = (text: string) => escKeepingMentionsOf(text, [run.endedBy, run.requestedBy]);
  switch (run.status) {
    case 'running': {
      const offer = run.steps.find((s) => s.name === 'restore' && s.status === 'blocked');
      if (offer) {
        const more = run.steps.some((s) => s.name === 'rollback' && s.status === 'pending');
        return restoreOfferStatus(offer.env, offer.summary === 'failed', offer.service, more);
      }
      const cut = run.steps.find((s) => s.name === 'rollback' && s.status === 'blocked');
      if (cut)
        return `⛔ The bot stopped in the middle of rolling back ${esc(cut.env)}. What it rolled back stays rolled back; Resume rollback finishes the rest (or Cancel to leave ${esc(cut.env)} as it is).`;
      // Held after a failed verification or a partly applied apply: why, and what the buttons do.
      const held = run.steps.find(
        (s) => s.status === 'blocked' && (s.name === 'apply' || s.name === 'verify'),
      );
      // (An apply held on a lock with nothing applied has no Roll back: its reason says Retry apply or Cancel.)
      if (held && run.reason && lockHeldNothingIn(held)) return `⛔ ${why(run.reason)}`;
      if (held && run.reason)
        return `⛔ ${why(run.reason)} Roll back undoes what this run applied on ${esc(held.env)}; Cancel leaves it as it is.`;
      return `⏳ Running since ${run.createdAt.slice(11, 19)} UTC`;
    }
    case 'succeeded': {
      const ms = run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.createdAt) : 0;
      return `✅ Succeeded in ${formatMs(ms)}`;
    }
    case 'failed':
      return `❌ Failed: ${why(run.reason ?? 'see the thread')}`;
    case 'cancelled':
      return `🚫 Cancelled by ${mention(run.endedBy ?? '')} ${when(run.finishedAt ?? run.createdAt)}`;
    case 'rejected':
      return `❌ Rejected by ${mention(run.endedBy ?? '')}: ${why(run.reason ?? '')}`;
    case 'expired':
      return `⌛ Expired: ${why(run.reason ?? 'nobody approved in time')}`;
    case 'rolled_back': {
      if (run.endedBy !== SYSTEM_ACTOR)
        return `↩️ Rolled back by ${mention(run.endedBy ?? '')}: ${why(run.reason ?? '')}`;
      // A trigger asked for it; where the environment has approvals, people approved it at its gate first.
      const gated = run.steps.some(
        (s) => s.name === 'approval' && s.purpose === 'rollback' && s.status === 'succeeded',
      );
      return gated
        ? `↩️ Rolled back after a rollback trigger, approved at its gate: ${why(run.reason ?? '')}`
        : `↩️ Rolled back automatically: ${why(run.reason ?? '')}`;
    }
  }
}

/** The run card: one message in the channel, updated in place as the run moves. */
export function runCard(
  run: Run,
  gates: ReadonlyMap<number, GateView> = new Map(),
  monitors: ReadonlyMap<number, string> = new Map(),
): Message {
  const envs = [...new Set(run.steps.map((s) => s.env))];
  const labels = (keep: (s: Step) => boolean) =>
    run.steps
      .map((s, i) => (keep(s) ? stepLabel(run, i, gates.get(i), monitors.get(i)) : ''))
      .filter(Boolean)
      .join('  ·  ');
  // With services: the environment's own steps (its gates, after: actions) on its line, then a row per service.
  const lines = envs.flatMap((env) => {
    const services = [...new Set(run.steps.flatMap((s) => (s.env === env && s.service ? [s.service] : [])))];
    const own = labels((s) => s.env === env && !s.service);
    return [
      `*${esc(env)}:*  ${own}`.trimEnd(),
      ...services.map(
        (service) => `      ↳ *${esc(service)}:*  ${labels((s) => s.env === env && s.service === service)}`,
      ),
    ];
  });
  const title = `*Run #${run.id}* · \`${esc(run.migration)}\` · requested by <@${run.requestedBy}>`;
  return {
    text: `Run #${run.id} · ${esc(run.migration)} · ${run.status}`,
    blocks: [
      section(title, 'title'),
      section(lines.join('\n'), 'envs'),
      context(runStatusLine(run)),
      ...runActions(run),
    ],
  };
}

const confirm = (title: string, text: string, yes: string) => ({
  confirm: {
    title: { type: 'plain_text', text: title },
    text: { type: 'plain_text', text },
    confirm: { type: 'plain_text', text: yes },
    deny: { type: 'plain_text', text: 'Go back' },
  },
});

/** The run card's buttons: what a person can do with the run now. */
function runActions(run: Run): Block[] {
  const elements: object[] = [];
  const blocked = run.steps.findIndex((s) => s.status === 'blocked');
  const lastVerify = run.steps
    .map((s, i) => (s.name === 'verify' && s.status !== 'pending' && s.status !== 'skipped' ? i : -1))
    .filter((i) => i >= 0)
    .at(-1);
  // A rollback's restore offer has buttons of its own (Restore from backup, Finish without restoring).
  const offer = blocked !== -1 && run.steps[blocked]!.name === 'restore';
  if (run.status === 'running' && offer) elements.push(...restoreButtons(run, blocked));
  if (run.status === 'running' && blocked !== -1 && !offer) {
    const v = encodeStepRef({ run: run.id, step: blocked, digest: '' });
    const env = run.steps[blocked]!.env;
    // With services, a rollback covers every service this run changed there.
    const services = [
      ...new Set(
        run.steps.flatMap((s) => (s.env === env && s.name === 'apply' && s.service ? [s.service] : [])),
      ),
    ];
    // (Not every service: the failed one may have had nothing go in. The plan on the gate or alert says which.)
    const where = services.length ? `${env}, for each service it changed there` : env;
    const resume = run.steps[blocked]!.name === 'rollback';
    const label = resume ? 'Resume rollback' : 'Roll back';
    // An apply that could not get its lock: Retry apply first; Roll back only when some file went in there.
    if (lockHeld(run.steps[blocked]!))
      elements.push(button(ACTIONS.retryApply, 'Retry apply', v, { style: 'primary' }));
    if (!lockHeldNothingIn(run.steps[blocked]!))
      elements.push(
        button(ACTIONS.rollback, label, v, {
          style: 'danger',
          ...confirm(
            `${label} ${env}?`,
            resume
              ? `This runs the rest of this run's down files on ${where}: the files it applied there that are not rolled back yet are undone, newest first.`
              : `This runs this run's down files on ${where}: the files it applied there are undone, newest first, back to the first one without a down file.`,
            label,
          ),
        }),
      );
    if (run.steps[blocked]!.name === 'verify') elements.push(button(ACTIONS.rerun, 'Re-run verification', v));
  }
  if (lastVerify !== undefined && blocked === -1)
    elements.push(
      button(
        ACTIONS.verifyNow,
        'Run verification',
        encodeStepRef({ run: run.id, step: lastVerify, digest: '' }),
      ),
    );
  if (run.status === 'running' && !offer)
    elements.push(
      button(
        ACTIONS.cancel,
        'Cancel',
        encodeStepRef({ run: run.id, step: NO_STEP, digest: '' }),
        confirm('Cancel this run?', `Run #${run.id} stops; nothing more is applied.`, 'Cancel run'),
      ),
    );
  return elements.length ? [{ type: 'actions', block_id: 'run-actions', elements } as Block] : [];
}
