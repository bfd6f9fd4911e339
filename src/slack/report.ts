/**
 * The run report in the thread: a short summary (status, one line per environment, decisions) that says where
 * the whole report is: a Markdown file uploaded beside it (report-markdown.ts). Pure.
 */

import { durationText } from '../deploy/duration-text.js';
import { gateName } from '../deploy/gate-name.js';
import {
  DECIDED,
  envsOf,
  type MonitorFigures,
  monitorsOf,
  type ReportData,
  resultAt,
} from '../deploy/report.js';
import { isRestoreGate } from '../deploy/restores.js';
import type { ApplyResult } from '../deploy/results.js';
import type { Run } from '../deploy/types.js';
import { summaryLine } from './check-blocks.js';
import { esc, type Message, mention, plural, sections, when } from './mrkdwn.js';
import { ICON, runStatusLine } from './run-card.js';

export const reportFilename = (run: Run) => `run-${run.id}-report.md`;

function applied(r: ApplyResult | undefined): string {
  if (!r) return 'apply';
  const n = plural(r.files.length, 'file');
  if (r.failure) return `apply: ${n} applied, then \`${esc(r.failure.id)}.sql\` failed`;
  if (!r.ok) return 'apply failed';
  return r.files.length ? `${n} applied` : 'nothing to apply';
}

function watched(m: MonitorFigures): string {
  const over = m.metrics.reduce((n, f) => n + f.over.warn + f.over.critical, 0);
  const critical = m.metrics.reduce((n, f) => n + f.over.critical, 0);
  const parts = [`monitor ${m.done + m.missed}/${plural(m.planned, 'checkpoint')}`];
  if (over) parts.push(`${plural(over, 'reading')} over a line${critical ? ` (${critical} critical)` : ''}`);
  if (m.alerts.length) parts.push(plural(m.alerts.length, 'alert'));
  return parts.join(', ');
}

/** One line per environment: what each step did there, with its counts. */
function envLine(d: ReportData, env: string, monitors: Map<number, MonitorFigures>): string {
  const parts = d.run.steps.flatMap((s, i) => {
    if (s.env !== env) return [];
    const icon = ICON[s.status];
    switch (s.name) {
      case 'apply':
        return [`${icon} ${applied(resultAt(d, i, 'apply'))}`];
      case 'verify': {
        const v = resultAt(d, i, 'verify');
        return [`${icon} verify${v ? ` ${summaryLine(v.summary)}` : ''}`];
      }
      case 'monitor': {
        const m = monitors.get(i);
        return [`${icon} ${m ? watched(m) : 'monitor'}`];
      }
      case 'baseline': {
        const b = resultAt(d, i, 'baseline');
        return [
          `${icon} ${b?.ok ? `${plural(b.files.length, 'file')} baselined (marked applied, not run)` : 'baseline'}`,
        ];
      }
      case 'rollback': {
        const r = resultAt(d, i, 'rollback');
        return [`${icon} ${r?.ok ? `rolled back ${plural(r.files.length, 'file')}` : 'rollback'}`];
      }
      case 'after':
        return [`${icon} after: ${esc(s.summary ?? s.after?.label ?? '')}`];
      case 'approval':
        // A stage's name, or what else the gate decided (a rollback, an after: action).
        return [
          `${icon} ${s.stage ? `approval: ${esc(s.stage)}` : isRestoreGate(d.run, i) ? 'restore approval' : s.purpose === 'rollback' ? 'rollback approval' : s.after ? `approval: ${esc(s.after.label)}` : 'approval'}`,
        ];
      default:
        return [`${icon} ${s.name}`];
    }
  });
  return `*${esc(env)}:*  ${parts.join('  ·  ')}`;
}

/** The run's status; a run's length written by durationText (the run card's formatMs says '1200.0 s'). */
const statusLine = (run: Run) =>
  run.status === 'succeeded' && run.finishedAt
    ? `✅ Succeeded in ${durationText(Date.parse(run.finishedAt) - Date.parse(run.createdAt))}`
    : runStatusLine(run);

/**
 * The summary posted in the thread when a run ends. `file` says what became of the uploaded report: its name,
 * and why it could not be uploaded if it could not.
 */
export function reportSummary(d: ReportData, file?: { name: string; problem?: string }): Message {
  const { run } = d;
  const monitors = monitorsOf(d);
  const lines = [
    `*Run #${run.id} report* · \`${esc(run.migration)}\` · requested by ${mention(run.requestedBy)} ${when(run.createdAt)}`,
    statusLine(run),
    ...envsOf(run).map((env) => envLine(d, env, monitors)),
    ...d.approvals.map(
      (a) =>
        `${mention(a.user)} ${DECIDED[a.decision]} ${when(a.at)} for ${esc(gateName(run, a.index))}${a.reason ? `: ${esc(a.reason)}` : ''}`,
    ),
  ];
  if (file?.problem)
    lines.push(
      `⚠️ The full report could not be uploaded (${esc(file.problem)}); each step's reply above has its details.`,
    );
  else if (file)
    lines.push(
      `📎 The full report (every step and decision, the files applied on each environment with their sha256, every check and every monitoring figure) is attached below: \`${esc(file.name)}\`.`,
    );
  return { text: `Run #${run.id} report: ${run.status}`, blocks: sections(lines, 'report') };
}
