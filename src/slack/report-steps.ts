/** The report's part for each kind of step: preflight, the files applied, checks, monitoring, rollback. Pure. */

import type { BaselineResult } from '../deploy/baseline.js';
import type { CheckResult } from '../deploy/checks.js';
import { describeCounts } from '../deploy/diff.js';
import { durationText, durationCell as ms } from '../deploy/duration-text.js';
import { describeLockWaits } from '../deploy/lock-attempts.js';
import { fmt, type Judged } from '../deploy/monitoring.js';
import type { MetricFigures, MonitorFigures, ReportData } from '../deploy/report.js';
import type {
  AppliedFile,
  ApplyResult,
  PreflightResult,
  RollbackResult,
  VerifyResult,
} from '../deploy/results.js';
import { CATEGORIES, KEYS } from '../deploy/snapshot.js';
import { summaryLine } from './check-blocks.js';
import { lintMarkdown } from './lint-blocks.js';
import { code, pgError, table } from './markdown.js';
import { plural } from './mrkdwn.js';

function fileRows(d: ReportData, files: readonly AppliedFile[]) {
  return files.map((f, i) => [
    i + 1,
    code(f.file ?? `${f.id}.sql`),
    d.run.checksums[f.id] ?? '(not in this run)',
    f.statements,
    ms(f.durationMs),
    f.lockRetries,
    f.outsideTransaction ? `outside a transaction (${f.outsideTransaction})` : 'one transaction',
  ]);
}

/** A category's noun for a list of names: "function" for one, "functions" for more (a stored list says many). */
function nounOf(many: string, names: readonly string[]): string {
  if (names.length !== 1) return many;
  const cat = CATEGORIES.find((c) => KEYS[c].noun[1] === many);
  return cat ? KEYS[cat].noun[0] : many;
}

const FILE_HEAD = ['#', 'File', 'sha256', 'Statements', 'Time', 'Lock retries', 'Ran'];

/** A baseline step: the files marked applied without running them, with their sha256. */
export function baselined(env: string, r: BaselineResult | undefined): string[] {
  if (!r) return [`### Files baselined on ${env}`, '', 'None: the baseline step did not run.', ''];
  if (!r.ok) return [`### Files baselined on ${env}`, '', `None. ${r.problem ?? ''}`.trim(), ''];
  return [
    `### Files baselined on ${env} (${r.files.length}): marked applied WITHOUT running them`,
    '',
    ...table(
      ['#', 'File', 'sha256'],
      r.files.map((f, i) => [i + 1, code(`${f.id}.sql`), f.checksum]),
    ),
    ...(r.foreign?.length ? [`Also recorded in ${r.foreign.join(', ')}.`, ''] : []),
  ];
}

export function preflight(r: PreflightResult): string[] {
  const parts = [r.ok ? '✅' : '❌'];
  if (r.serverVersion)
    parts.push(
      `PostgreSQL ${r.serverVersion}${r.connectMs === undefined ? '' : `, connected in ${durationText(r.connectMs)}`}`,
    );
  parts.push(`${plural(r.pending.length, 'file')} pending`);
  if (r.ok) parts.push(r.drift.length ? `${r.drift.length} drifted` : 'no drift');
  if (r.counts) parts.push(`catalog before: ${describeCounts(r.counts)}`);
  const out = [`**Preflight:** ${parts.join(' · ')}`, ''];
  if (r.outOfOrder.length)
    out.push(`Older than the newest applied migration: ${r.outOfOrder.join(', ')}`, '');
  if (r.unknown.length) out.push(`In the ledger but not in the folder: ${r.unknown.join(', ')}`, '');
  if (r.lint) out.push(...lintMarkdown(r.lint));
  if (r.parseError) out.push(...pgError(r.parseError));
  else if (r.problem) out.push(r.problem, '');
  return out;
}

export function apply(
  d: ReportData,
  env: string,
  r: ApplyResult | undefined,
  pending?: PreflightResult,
): string[] {
  if (!r) {
    const would = pending?.pending ?? [];
    if (!would.length) return [`### Files applied on ${env}`, '', 'None: the apply step did not run.', ''];
    return [
      `### Files applied on ${env}`,
      '',
      `None: the apply step did not run. Preflight found ${plural(would.length, 'file')} pending, in migration order:`,
      '',
      ...table(
        ['#', 'File', 'sha256', 'Statements'],
        would.map((p, i) => [i + 1, code(p.file ?? `${p.id}.sql`), p.checksum, p.statements]),
      ),
    ];
  }
  const out = [`### Files applied on ${env} (${r.files.length}, in migration order)`, ''];
  if (r.files.length) out.push(...table(FILE_HEAD, fileRows(d, r.files)));
  else if (r.ok) out.push('None: every file up to this migration was already in the ledger.', '');
  else out.push('None.', '');
  if (r.failure) {
    const f = r.failure;
    out.push(
      `**Failed:** ${code(f.file ?? `${f.id}.sql`)} (sha256 ${d.run.checksums[f.id] ?? 'unknown'}) after ${durationText(f.durationMs)} with ${plural(f.lockRetries, 'lock retry', 'lock retries')}`,
      '',
      ...pgError(f.error),
    );
    const waits = describeLockWaits(f.lockWaits ?? []);
    if (waits) out.push(`Lock: ${waits}.`, '');
    if (f.outsideTransaction)
      out.push(
        `It ran outside a transaction (${f.outsideTransaction}): ${plural(f.statementsKept, 'statement')} before the failing one stayed applied; the ledger has no row for it.`,
        '',
      );
    else if (r.catalogUnchanged) out.push('Rolled back: the catalog after equals the catalog before.', '');
    else out.push('Its transaction was rolled back; the files before it stay applied.', '');
  }
  if (r.problem) out.push(r.problem, '');
  if (r.diffSummary && r.files.length)
    out.push(`**Schema:** ${r.diffSummary}${r.countsSummary ? `; ${r.countsSummary}` : ''}`, '');
  for (const c of r.files.length ? (r.changes ?? []) : []) {
    if (c.added.length) out.push(`**Added ${nounOf(c.what, c.added)}:** ${c.added.map(code).join(', ')}`, '');
    if (c.removed.length)
      out.push(`**Removed ${nounOf(c.what, c.removed)}:** ${c.removed.map(code).join(', ')}`, '');
    if (c.changed.length)
      out.push(`**Changed ${nounOf(c.what, c.changed)}:** ${c.changed.map(code).join(', ')}`, '');
  }
  return out;
}

const CHECK_ICON = { pass: '✅ pass', fail: '❌ fail', error: '❌ error', skipped: '⏭️ skipped' } as const;
const checkStatus = (c: CheckResult) =>
  c.severity === 'warning' && (c.status === 'fail' || c.status === 'error')
    ? `⚠️ ${c.status} (warning)`
    : CHECK_ICON[c.status];

export function verify(env: string, index: number, r: VerifyResult): string[] {
  const out = [
    `### Verification on ${env} (step ${index + 1}): ${summaryLine(r.summary)} · ${ms(r.durationMs)}`,
    '',
  ];
  if (r.problem) out.push(r.problem, '');
  if (!r.results.length) return [...out, 'No checks are defined for this migration or environment.', ''];
  return [
    ...out,
    ...table(
      ['Check', 'Kind', 'Severity', 'Target', 'Actual', 'Status', 'Time'],
      r.results.map((c) => [
        c.name,
        c.kind,
        c.severity,
        c.target,
        c.error ?? c.actual,
        checkStatus(c),
        ms(c.durationMs),
      ]),
    ),
  ];
}

const LEVEL_ICON = { ok: '', warn: '⚠️ ', critical: '🔴 ' } as const;
function value(j: Judged | undefined, unit: string): string {
  if (!j) return '—';
  if (j.down) return `🔴 down: ${j.unavailable ?? ''}`;
  if (j.unavailable) return `not measured: ${j.unavailable}`;
  if (j.note && j.value !== undefined) return `${LEVEL_ICON[j.raw]}${j.note}`;
  if (j.quiet || j.value === undefined) return `— (${j.quiet ?? 'no value'})`;
  return `${LEVEL_ICON[j.raw]}${fmt(j.value)}${unit}`;
}

function metricRow(f: MetricFigures): (string | number)[] {
  const over = f.over.warn + f.over.critical;
  const levels = [f.over.critical && `${f.over.critical} critical`, f.over.warn && `${f.over.warn} warn`];
  const alerts = [
    f.alerts.critical && `${f.alerts.critical} critical`,
    f.alerts.warn && `${f.alerts.warn} warn`,
  ];
  const notes = [
    f.metric.consecutive > 1 && `counts at ${f.metric.consecutive} in a row`,
    f.metric.dryRun && 'dry run',
    f.metric.rollback && 'rollback trigger',
  ].filter(Boolean);
  return [
    `${f.metric.key}${notes.length ? ` (${notes.join(', ')})` : ''}`,
    value(f.last, f.metric.unit),
    value(f.worst, f.metric.unit),
    f.lines.warn ?? '—',
    f.lines.critical ?? '—',
    `${over} of ${plural(f.readings, 'reading')}${over ? ` (${levels.filter(Boolean).join(', ')})` : ''}${f.unavailable ? `; ${f.unavailable} not measured` : ''}`,
    alerts.filter(Boolean).join(', ') || 'none',
  ];
}

export function monitor(d: ReportData, env: string, index: number, m: MonitorFigures): string[] {
  const extra = m.extra ? `, ${m.extra} more on command` : '';
  const plan = d.plans[env] ? `plan ${code(d.plans[env])}, ` : '';
  return [
    `### Monitoring on ${env} (step ${index + 1}): ${plan}${m.done + m.missed} of ${plural(m.planned, 'checkpoint')}, ${m.missed} missed${extra}`,
    '',
    ...table(
      ['Metric', 'Last', 'Worst', 'Warn line', 'Critical line', 'Over a line', 'Alerts raised'],
      m.metrics.map(metricRow),
    ),
  ];
}

export function rollback(d: ReportData, env: string, index: number, r: RollbackResult): string[] {
  const out = [`### Rollback on ${env} (step ${index + 1}): ${r.ok ? '✅ done' : '❌ failed'}`, ''];
  if (r.files.length)
    out.push(
      ...table(
        ['#', 'Down file', 'Undoes (sha256 applied)', 'Statements', 'Time', 'Lock retries'],
        r.files.map((f, i) => [
          i + 1,
          code(`${f.id}.down.sql`),
          `${code(`${f.id}.sql`)} ${d.run.checksums[f.id] ?? ''}`,
          f.statements,
          ms(f.durationMs),
          f.lockRetries,
        ]),
      ),
    );
  if (r.failure) out.push(`**Failed:** ${code(`${r.failure.id}.down.sql`)}`, '', ...pgError(r.failure.error));
  if (r.problem) out.push(r.problem, '');
  if (r.catalogRestored === true) out.push('The catalog now equals the catalog before apply.', '');
  if (r.catalogRestored === false)
    out.push(`The catalog differs from before apply${r.countsSummary ? ` (${r.countsSummary})` : ''}.`, '');
  return out;
}
