/**
 * The whole run report as a Markdown document, uploaded to the thread as a file so nothing is ever cut: every
 * step, every decision, each environment's applied files in migration order with their sha256, each check once,
 * every monitoring metric against its lines, rollbacks and alerts. Pure.
 */
import { durationCell, durationsIn, durationText } from '../deploy/duration-text.js';
import { gateName } from '../deploy/gate-name.js';
import { fmt } from '../deploy/monitoring.js';
import {
  DECIDED,
  envsOf,
  type MonitorFigures,
  monitorsOf,
  type ReportData,
  resultAt,
} from '../deploy/report.js';
import type { PreflightResult } from '../deploy/results.js';
import type { Run, Step } from '../deploy/types.js';
import { afterReport } from './after-blocks.js';
import { at, table, who } from './markdown.js';
import { SYSTEM_ACTOR } from './mrkdwn.js';
import { apply, baselined, monitor, preflight, rollback, verify } from './report-steps.js';
import { ICON } from './run-card.js';

/** A gate as the Decisions table names it: "6 · deploy to production", "9 · restore from backup on staging". */
const gateCell = (run: Run, i: number) => `${i + 1} · ${gateName(run, i)}`;

/** A step as the Steps table names it; a gate says what it decides. */
/** A Slack user mention inside a sentence the bot wrote: `<@U0123>`. */
const MENTION = /<@([UW][A-Z0-9]{2,})>/g;

const stepCell = (run: Run, s: Step, i: number) =>
  s.name === 'approval'
    ? `approval: ${gateName(run, i)}`
    : `${s.name}${s.purpose && s.name !== s.purpose ? ` (${s.purpose})` : ''}`;

function statusText(run: Run): string {
  const took = run.finishedAt
    ? ` in ${durationText(Date.parse(run.finishedAt) - Date.parse(run.createdAt))}`
    : '';
  const by = run.endedBy ? who(run.endedBy) : 'someone';
  const why = run.reason ? `: ${run.reason}` : '';
  switch (run.status) {
    case 'running':
      return '⏳ running';
    case 'succeeded':
      return `✅ succeeded${took}`;
    case 'failed':
      return `❌ failed${why}`;
    case 'cancelled':
      return `🚫 cancelled by ${by}`;
    case 'rejected':
      return `❌ rejected by ${by}${why}`;
    case 'expired':
      return `⌛ expired${why}`;
    case 'rolled_back':
      return `↩️ rolled back ${run.endedBy === SYSTEM_ACTOR ? 'automatically' : `by ${by}`}${why}`;
  }
}

function environment(d: ReportData, env: string, monitors: Map<number, MonitorFigures>): string[] {
  const out = [`## ${env}`, ''];
  const steps = d.run.steps.map((s, i): [Step, number] => [s, i]).filter(([s]) => s.env === env);
  let pre: PreflightResult | undefined;
  for (const [s, i] of steps) {
    if (s.name === 'preflight') {
      pre = resultAt(d, i, 'preflight');
      if (pre) out.push(...preflight(pre));
    }
    if (s.name === 'apply' && !s.purpose) out.push(...apply(d, env, resultAt(d, i, 'apply'), pre));
    if (s.name === 'baseline') out.push(...baselined(env, resultAt(d, i, 'baseline')));
    const v = s.name === 'verify' && resultAt(d, i, 'verify');
    if (v) out.push(...verify(env, i, v));
    const m = monitors.get(i);
    if (m) out.push(...monitor(d, env, i, m));
    const r = s.name === 'rollback' && resultAt(d, i, 'rollback');
    if (r) out.push(...rollback(d, env, i, r));
    const a = s.name === 'after' && resultAt(d, i, 'after');
    if (a) out.push(...afterReport(env, i, a));
  }
  return out;
}

export function reportMarkdown(d: ReportData): string {
  const { run } = d;
  const monitors = monitorsOf(d);
  const envOfAlert = new Map(
    [...monitors].flatMap(([i, m]) => m.alerts.map((a) => [a.id, run.steps[i]!.env] as const)),
  );
  const lines = [
    `# Run #${run.id} report: ${run.migration}`,
    '',
    `- **Status:** ${statusText(run)}`,
    `- **Requested by:** ${who(run.requestedBy)} at ${at(run.createdAt)}`,
    ...(run.finishedAt ? [`- **Ended:** ${at(run.finishedAt)}`] : []),
    `- **Environments:** ${envsOf(run).join(' → ')}`,
    `- **Files up to the migration, checksums fixed at the start:** ${Object.keys(run.checksums).filter((k) => !/\.(down\.sql|checks\.yml)$/.test(k)).length} (each environment below lists the ones applied there)`,
    '',
    '## Steps',
    '',
    ...table(
      ['#', 'Environment', 'Step', 'Status', 'Started', 'Duration', 'Summary'],
      run.steps.map((s, i) => [
        i + 1,
        s.env,
        stepCell(run, s, i),
        `${ICON[s.status]} ${s.status}`,
        at(s.startedAt),
        durationCell(s.durationMs),
        s.summary && durationsIn(s.summary),
      ]),
    ),
    '## Decisions',
    '',
    ...(d.approvals.length
      ? table(
          ['Gate', 'Who', 'Decision', 'When', 'Reason'],
          d.approvals.map((a) => [
            gateCell(run, a.index),
            who(a.user),
            DECIDED[a.decision],
            at(a.at),
            a.reason,
          ]),
        )
      : ['No one was asked to approve anything in this run.', '']),
    ...envsOf(run).flatMap((env) => environment(d, env, monitors)),
    '## Alerts',
    '',
    ...(d.alerts.length
      ? table(
          ['When', 'Environment', 'Level', 'Readings', 'Acknowledged'],
          d.alerts.map((a) => [
            at(a.at),
            envOfAlert.get(a.id) ?? '',
            a.level,
            a.judged
              .filter((j) => j.level === a.level)
              .map(
                (j) =>
                  `${j.key} ${fmt(j.value)}${d.metrics.find((m) => m.key === j.key)?.unit ?? ''} (${j.line ?? ''})`,
              )
              .join('; '),
            a.acknowledgedBy ? `${who(a.acknowledgedBy)} at ${at(a.acknowledgedAt)}` : 'no',
          ]),
        )
      : ['No alerts were raised.', '']),
  ];
  // A file shows a Slack mention as typed: the user ids that sentences carry (a reason, a refusal) read as @U….
  // Names would need a users lookup the Chat port does not have.
  return `${lines.join('\n').trimEnd().replace(MENTION, '@$1')}\n`;
}
