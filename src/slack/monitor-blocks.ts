/** Pure renderers for monitoring: the single monitoring message, alerts. */
import { fmt, type Judged } from '../deploy/monitoring.js';
import type { Run } from '../deploy/types.js';
import {
  ACTIONS,
  type Block,
  button,
  context,
  esc,
  groupMention,
  type Message,
  section,
  sections,
} from './mrkdwn.js';
import { encodeAlertRef, encodeStepRef } from './refs.js';

export const MONITOR_ACTIONS = { ack: 'alert.ack', keep: 'alert.keep' } as const;

/**
 * How the view writes a time: HH:MM, or HH:MM:SS when its checkpoints are less than a minute apart (the newest taken
 * and the next due), as the chart's axis does (deploy/chart.ts), so two checkpoints never read as the same minute.
 */
function clockOf(v: MonitorView): (iso: string) => string {
  const apart = v.latest && v.nextAt ? Math.abs(Date.parse(v.nextAt) - Date.parse(v.latest.at)) : Infinity;
  const end = apart < 60_000 ? 19 : 16;
  return (iso) => `${iso.slice(11, end)} UTC`;
}
const ICON = { ok: '✅', warn: '⚠️', critical: '🔴' } as const;

export interface MonitorView {
  readonly env: string;
  readonly plan: string;
  readonly done: number;
  readonly missed: number;
  readonly total: number;
  readonly nextAt?: string;
  /** The newest checkpoint's judged metrics, with units. */
  readonly latest?: {
    readonly at: string;
    readonly judged: readonly (Judged & { unit: string; dryRun: boolean })[];
  };
  readonly finished?: boolean;
}

export function progressText(v: MonitorView): string {
  const missed = v.missed ? `, ${v.missed} missed` : '';
  return `${v.done + v.missed}/${v.total} checkpoint${v.total === 1 ? '' : 's'}${missed}${v.nextAt && !v.finished ? ` · next ${clockOf(v)(v.nextAt)}` : ''}`;
}

/**
 * One reading: a value over a line always shows that line's level, with how many in a row it has been
 * against how many the rule needs ("🔴 *error_rate* 26.9% (critical > 1%, 1 of 3 in a row)"), even while it
 * does not count yet. Lines are shown as configured.
 */
export function reading(j: Judged & { unit: string; dryRun: boolean }): string {
  const need = j.consecutive ?? 1;
  // Its source could not be reached (`down: N`): "🔴 *community_up* down: … (1 of 3 in a row)".
  if (j.down) {
    const count = j.streak < need ? `${j.streak} of ${need} in a row` : `${j.streak} in a row: critical`;
    return `🔴 *${esc(j.key)}* down: ${esc(j.unavailable ?? '')} (${count})${j.dryRun ? ' · dry run: reported only' : ''}`;
  }
  if (j.unavailable) return `⚠️ *${esc(j.key)}*: not measured: ${esc(j.unavailable)}`;
  if (j.quiet) return `➖ *${esc(j.key)}*: ${esc(j.quiet)}`;
  // A watched check says what it saw instead of a number, and its line is "fails".
  if (j.note) {
    const count = j.raw !== 'ok' && need > 1 ? ` (${Math.min(j.streak, need)} of ${need} in a row)` : '';
    const dry = j.dryRun && j.raw !== 'ok' ? ' · dry run: reported only' : '';
    return `${ICON[j.raw]} *${esc(j.key)}* ${esc(j.note)}${count}${dry}`;
  }
  const notes = j.line ? [`${j.lineLevel ?? 'line'} ${esc(j.line)}`] : [];
  if (j.raw !== 'ok' && need > 1 && j.streak <= need) notes.push(`${j.streak} of ${need} in a row`);
  else if (j.raw !== 'ok' && j.streak > 1) notes.push(`${j.streak} in a row`);
  // Over the critical line but not yet long enough, while the warn line has held long enough.
  const acting = j.level !== j.raw && j.level === 'warn' ? '; counts as a warning until then' : '';
  const against = notes.length ? ` (${notes.join(', ')}${acting})` : '';
  const dry = j.dryRun && j.raw !== 'ok' ? ' · dry run: reported only' : '';
  return `${ICON[j.raw]} *${esc(j.key)}* ${fmt(j.value)}${esc(j.unit)}${against}${dry}`;
}

/** One message per monitor step, edited at every checkpoint so the thread does not flood. */
export function monitorMessage(runId: number, v: MonitorView): Message {
  const head = `*Monitoring ${esc(v.env)}* · plan \`${esc(v.plan)}\` · ${progressText(v)}${v.finished ? ' · done' : ''}`;
  const blocks: Block[] = [section(head, 'monitor-head')];
  if (v.latest)
    blocks.push(
      ...sections(
        [`Checkpoint at ${clockOf(v)(v.latest.at)}:`, ...v.latest.judged.map(reading)],
        'monitor-latest',
      ),
    );
  else blocks.push(context('The first checkpoint is still to come.'));
  return { text: `Monitoring ${esc(v.env)} for run #${runId}: ${progressText(v)}`, blocks };
}

/** What a critical alert says of rolling back: now (automatic), after approval, on a click, or not possible. */
export interface AlertRollback {
  readonly when: 'now' | 'approval' | 'offer' | 'impossible';
  /** The plan in a sentence (what is undone, what stays). */
  readonly plan: string;
}

export function alertMessage(
  run: Run,
  env: string,
  level: 'warn' | 'critical',
  judged: readonly (Judged & { unit: string; dryRun: boolean })[],
  /** `stepIndex`: the monitor step the alert is about (its Roll back button's step). */
  opts: { oncall?: string; alertId: number; rollback?: AlertRollback; stepIndex?: number },
): Message {
  const bad = judged.filter((j) => j.level === level && !j.dryRun);
  const mention = level === 'critical' && opts.oncall ? `${groupMention(opts.oncall)} ` : '';
  const head = `${mention}${level === 'critical' ? '🔴 *Critical*' : '⚠️ *Warning*'} on ${esc(env)} · run #${run.id} \`${esc(run.migration)}\``;
  const lines = [head, ...bad.map(reading)];
  const rb = opts.rollback;
  if (rb?.when === 'now') lines.push(`↩️ A rollback trigger fired: rolling back now. ${esc(rb.plan)}`);
  if (rb?.when === 'approval')
    lines.push(
      `↩️ A rollback trigger fired: rolling back ${esc(env)} needs approval first; the rollback card is in this thread. ${esc(rb.plan)}`,
    );
  if (rb?.when === 'offer')
    lines.push(`↩️ A rollback trigger fired: press Roll back to undo (autoRollback is off). ${esc(rb.plan)}`);
  // the plan is a sentence of its own ("Nothing can be rolled back on …"): here it goes on after "but"
  if (rb?.when === 'impossible')
    lines.push(`↩️ A rollback trigger fired, but ${esc(rb.plan.charAt(0).toLowerCase() + rb.plan.slice(1))}`);
  const blocks: Block[] = sections(lines, `alert-${opts.alertId}`);
  const acting = rb?.when === 'now' || rb?.when === 'approval';
  if (level === 'critical' && !acting) {
    const value = encodeAlertRef({ run: run.id, alert: opts.alertId });
    const watching = opts.stepIndex ?? run.steps.findIndex((s) => s.status === 'watching');
    const rollback = encodeStepRef({ run: run.id, step: watching, digest: '' });
    blocks.push({
      type: 'actions',
      block_id: `alert-actions-${opts.alertId}`,
      elements: [
        ...(rb?.when === 'impossible'
          ? []
          : [button(ACTIONS.rollback, 'Roll back', rollback, { style: 'danger' })]),
        button(MONITOR_ACTIONS.ack, 'Acknowledge', value),
        button(MONITOR_ACTIONS.keep, 'Keep watching', value),
      ],
    } as Block);
  }
  return {
    text: `${level === 'critical' ? 'Critical' : 'Warning'} on ${esc(env)}: ${bad.map(short).join(', ')}`,
    blocks,
  };
}

/** A reading in a few words, for a notification: "queue_depth 9", "community_up down", "rls_isolation fails". */
const short = (j: Judged & { unit: string }) =>
  `${esc(j.key)} ${j.down ? 'down' : j.note ? (j.raw === 'ok' ? 'passes' : 'fails') : `${fmt(j.value)}${esc(j.unit)}`}`;

/** The first time metrics cannot be measured on an environment: said once in the thread, watching goes on. */
export function unavailableMessage(env: string, judged: readonly Judged[]): Message {
  return {
    text: `Some metrics cannot be measured on ${esc(env)}`,
    blocks: [
      section(
        judged
          .map((j) => `⚠️ *${esc(j.key)}* cannot be measured on ${esc(env)}: ${esc(j.unavailable ?? '')}`)
          .join('\n'),
      ),
    ],
  };
}

export function acknowledgedAlert(original: Message, user: string, keep: boolean): Message {
  return {
    text: original.text,
    blocks: [
      ...original.blocks.filter((b) => b.type !== 'actions'),
      context(keep ? `👀 <@${user}> chose to keep watching.` : `✔️ Acknowledged by <@${user}>.`),
    ],
  };
}
