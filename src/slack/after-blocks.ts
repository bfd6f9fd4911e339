/**
 * What happens around a run, in Slack (docs/after.md): an after: action's reply in the thread, its gate's lines,
 * and the short notices notify: channels get (never a host, a database or a person: a run, where, how, a link).
 * Pure.
 */

import type { AfterResult } from '../deploy/after-results.js';
import type { NoticeKind } from '../deploy/after-rules.js';
import type { AfterOutcome, Run } from '../deploy/types.js';
import { esc, formatMs, type Message, sections } from './mrkdwn.js';

export const OUTCOME: Record<AfterOutcome, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  rolled_back: 'was rolled back',
};

const hms = (iso: string) => `${iso.slice(11, 19)} UTC`;

/** One line per request sent: when, what, how it was answered, how long it took. */
export function attemptLines(r: AfterResult): string[] {
  return r.attempts.map(
    (a) =>
      `• ${hms(a.at)} ${a.what}: ${a.status ? `HTTP ${a.status}` : 'no answer'}${a.error && !a.status ? ` (${esc(a.error)})` : ''} · ${formatMs(a.ms)}`,
  );
}

/** The reply an after: action posts in the run's thread. */
export function afterReply(r: AfterResult, env: string, outcome: AfterOutcome): Message {
  const head = `*After ${esc(env)} ${OUTCOME[outcome]}: ${esc(r.label)}* ${r.ok ? '✅' : '❌'} ${esc(r.sentence)}`;
  const lines = [head, ...attemptLines(r)];
  if (r.idempotencyKey) lines.push(`Idempotency-Key: \`${esc(r.idempotencyKey)}\``);
  return {
    text: `After ${env}: ${r.label} ${r.ok ? 'done' : 'failed'}`,
    blocks: sections(lines, 'after'),
  };
}

/** What an action's gate card says is to be approved. */
export function afterGateLines(run: Run, env: string, label: string, outcome: AfterOutcome): string[] {
  return [
    `*Approval needed: ${esc(label)}* · after ${esc(env)} ${OUTCOME[outcome]} · run #${run.id} \`${esc(run.migration)}\` requested by <@${run.requestedBy}>`,
    `Approving runs this after: action of ${esc(env)} in deploy.yml; rejecting skips it (the run goes on).`,
  ];
}

const ENDED: Record<Run['status'], string> = {
  running: 'is running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'was cancelled',
  rejected: 'was rejected',
  expired: 'expired (not approved in time)',
  rolled_back: 'was rolled back',
};

/** A notify: channel's message. `env`: where a gate or alert is; `link`: the run's thread, when Slack gave one. */
export function noticeMessage(
  run: Run,
  notice: NoticeKind,
  env: string | undefined,
  link: string | undefined,
  metrics: readonly string[] = [],
): Message {
  const name = `Run #${run.id} \`${esc(run.migration)}\``;
  const envs = [...new Set(run.steps.map((s) => s.env))].map(esc).join(' → ');
  const where = env ? esc(env) : '';
  const text =
    notice === 'start'
      ? `🚀 ${name} started: ${envs}.`
      : notice === 'gate'
        ? `⏸ ${name} is waiting for approval on ${where}.`
        : notice === 'critical'
          ? `🚨 ${name}: critical on ${where}${metrics.length ? ` (${metrics.map(esc).join(', ')})` : ''}.`
          : `${run.status === 'succeeded' ? '✅' : run.status === 'running' ? '⏳' : '❌'} ${name} ${ENDED[run.status]}${endedWhere(run)}.`;
  const full = link ? `${text} <${link}|Open the thread>` : `${text} (see the run's thread in its channel)`;
  return { text: full.replace(/<([^|>]+)\|([^>]+)>/g, '$2'), blocks: sections([full], 'notice') };
}

/** Where a run that did not succeed ended: the environment of its last step that ran. */
function endedWhere(run: Run): string {
  if (run.status === 'succeeded') return '';
  const last = [...run.steps].reverse().find((s) => s.status === 'failed' || s.status === 'succeeded');
  return last ? ` on ${esc(last.env)}` : '';
}

/** An after: action in the run report (Markdown): what it said, and every request with its time and answer. */
export function afterReport(env: string, index: number, r: AfterResult): string[] {
  const rows = r.attempts.map(
    (a, i) =>
      `| ${i + 1} | ${a.at.slice(0, 19).replace('T', ' ')} UTC | ${a.what} | ${a.status ?? 'no answer'} | ${formatMs(a.ms)} | ${(a.error ?? '').replace(/\|/g, '\\|')} |`,
  );
  return [
    `### After ${env} (step ${index + 1}): ${r.label}: ${r.ok ? '✅ done' : '❌ failed'}`,
    '',
    r.sentence,
    '',
    ...(r.idempotencyKey ? [`Idempotency-Key: \`${r.idempotencyKey}\``, ''] : []),
    ...(rows.length
      ? ['| # | When | Request | Status | Time | Error |', '|---|---|---|---|---|---|', ...rows, '']
      : []),
  ];
}
