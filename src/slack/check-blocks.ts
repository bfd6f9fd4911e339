/** Pure renderers for verification results and rollbacks. */
import type { CheckResult, CheckSummary } from '../deploy/checks.js';
import type { RollbackResult, VerifyResult } from '../deploy/results.js';
import { formatPgError } from './blocks.js';
import { type Block, context, esc, formatMs, type Message, plural, section } from './mrkdwn.js';

const ICON = { pass: '✅', fail: '❌', error: '❌', skipped: '⏭️' } as const;
const statusIcon = (r: CheckResult) =>
  (r.status === 'fail' || r.status === 'error') && r.severity === 'warning' ? '⚠️' : ICON[r.status];
/** A message holds one table; longer lists show failures first and fold the rest into the report. */
const FOLD_AT = 25;

export function summaryLine(s: CheckSummary): string {
  const parts = [`${s.passed}/${s.total} pass`];
  if (s.warnings) parts.push(`${s.warnings} warning${s.warnings === 1 ? '' : 's'}`);
  if (s.blockersFailed) parts.push(`${s.blockersFailed} blocker${s.blockersFailed === 1 ? '' : 's'} failed`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  return parts.join(', ');
}

const cell = (text: string) => ({ type: 'raw_text', text: text.slice(0, 500) || ' ' });

/** The checks table: Check · Target · Actual · Status · Time, as a Block Kit table. */
export function checksTable(
  results: readonly CheckResult[],
  limit = FOLD_AT,
): { block: Block; folded: number } {
  const order = [...results].sort((a, b) => Number(a.status === 'pass') - Number(b.status === 'pass'));
  const shown = order.slice(0, limit);
  const rows = [
    ['Check', 'Target', 'Actual', 'Status', 'Time'].map(cell),
    ...shown.map((r) => [
      cell(r.name),
      cell(r.target),
      cell(r.error ?? r.actual),
      cell(statusIcon(r)),
      cell(formatMs(r.durationMs)),
    ]),
  ];
  return {
    block: {
      type: 'table',
      column_settings: [
        { is_wrapped: true },
        { is_wrapped: true },
        { is_wrapped: true },
        { align: 'center' },
        { align: 'right' },
      ],
      rows,
    } as unknown as Block,
    folded: results.length - shown.length,
  };
}

/** `title` is mrkdwn (it may mention who asked); the caller escapes what it puts in it. */
export function checksReply(r: VerifyResult, title = `Verify on ${esc(r.env)}`): Message {
  const head = `*${title}* ${r.ok ? '✅' : '❌'} · ${summaryLine(r.summary)} · ${formatMs(r.durationMs)}`;
  if (r.problem)
    return { text: `${title}: ${esc(r.problem)}`, blocks: [section(`${head}\n${esc(r.problem)}`)] };
  if (!r.results.length)
    return {
      text: `${title}: no checks`,
      blocks: [section(`${head}\nNo checks are defined for this migration or environment.`)],
    };
  const { block, folded } = checksTable(r.results);
  // Slack shows a message's one table at its bottom: everything else goes before it.
  const blocks: Block[] = [section(head, 'verify-summary')];
  if (folded)
    blocks.push(
      context(
        `${plural(folded, 'more passing check')} not shown${r.outsideRun ? '' : '; the run report lists them all'}.`,
      ),
    );
  if (!r.ok && !r.outsideRun)
    blocks.push(
      context(
        'Blockers failed: the run waits. *Roll back* runs this run’s down files; *Re-run verification* checks again.',
      ),
    );
  blocks.push(block);
  return { text: `${title}: ${summaryLine(r.summary)}`, blocks };
}

export function rollbackReply(r: RollbackResult): Message {
  const lines = [`*Rollback on ${esc(r.env)}* ${r.ok ? '✅' : '❌'}`];
  for (const f of r.files)
    lines.push(
      `• \`${esc(f.id)}.down.sql\` · ${plural(f.statements, 'statement')} in ${formatMs(f.durationMs)} · ${plural(f.lockRetries, 'lock retry', 'lock retries')}`,
    );
  if (r.failure) lines.push(formatPgError(r.failure.error));
  if (r.problem) lines.push(esc(r.problem));
  if (r.catalogRestored === true) lines.push('The catalog now equals the catalog before apply.');
  if (r.catalogRestored === false)
    lines.push(
      `⚠️ The catalog differs from before apply${r.countsSummary ? ` (${esc(r.countsSummary)})` : ''}: look before deploying again.`,
    );
  if (r.ok) lines.push('The ledger no longer lists these files (see migration_gate.rolled_back_migrations).');
  if (r.note) lines.push(`⚠️ ${esc(r.note)}`);
  return { text: `Rollback on ${r.env}: ${r.ok ? 'done' : 'failed'}`, blocks: [section(lines.join('\n'))] };
}
