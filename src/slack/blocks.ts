/** Pure renderers: step replies (preflight, apply), plain text, the run list and the migration list. No I/O. */
import { describeCounts } from '../deploy/diff.js';
import { describeRecorded } from '../deploy/ledger.js';
import { describeLockWaits } from '../deploy/lock-attempts.js';
import type { AppliedFile, ApplyResult, PgErrorView, PreflightResult } from '../deploy/results.js';
import type { Run } from '../deploy/types.js';
import { preflightLint } from './lint-blocks.js';
import { type Block, context, esc, formatMs, type Message, plural, section, sections } from './mrkdwn.js';
import { appliedTrace } from './trace-blocks.js';

/** Slack's limit on blocks in one message. */
const MAX_BLOCKS = 50;

export function formatPgError(e: PgErrorView): string {
  const lines = [`ERROR${e.code ? ` ${e.code}` : ''}: ${e.message}`];
  if (e.detail) lines.push(`DETAIL: ${e.detail}`);
  if (e.hint) lines.push(`HINT: ${e.hint}`);
  if (e.where) lines.push(`CONTEXT: ${e.where}`);
  return `\`${esc(e.file)}:${e.line}:${e.column}\`${e.statement ? ` (statement ${e.statement})` : ''}\n\`\`\`${esc(lines.join('\n'))}\`\`\``;
}

/**
 * Head lines, a list and tail lines in as many sections as they need, within Slack's 50 blocks a message. A list
 * too long even for that keeps its first items and says how many more there are and where they all are.
 */
export function listSections(
  head: string[],
  list: string[],
  tail: string[],
  id: string,
  what: string,
): Block[] {
  for (let keep = list.length; ; keep = Math.floor(keep * 0.9)) {
    const more = list.length - keep;
    const shown = more
      ? [
          ...list.slice(0, keep),
          `… and ${plural(more, `more ${what}`)}: the run report file lists every one.`,
        ]
      : list;
    const blocks = sections([...head, ...shown, ...tail].filter(Boolean), id);
    if (blocks.length <= MAX_BLOCKS) return blocks;
    if (keep === 0)
      return [
        ...blocks.slice(0, MAX_BLOCKS - 1),
        context('… more than one message holds: the run report file has it all.'),
      ];
  }
}

export function preflightReply(r: PreflightResult): Message {
  const head = [`*Preflight on ${esc(r.env)}* ${r.ok ? '✅' : '❌'}`];
  if (r.serverVersion)
    head.push(
      `PostgreSQL ${esc(r.serverVersion)}${r.connectMs === undefined ? '' : ` · connected in ${formatMs(r.connectMs)}`}`,
    );
  if (r.pending.length) head.push(`Pending (${r.pending.length}):`);
  else if (r.ok) head.push('Nothing pending: already applied here.');
  const list = r.pending.map(
    (p) =>
      `• \`${esc(p.file ?? `${p.id}.sql`)}\` sha256 \`${p.checksum.slice(0, 12)}\` · ${plural(p.statements, 'statement')}${p.outsideTransaction ? ` · runs outside a transaction (${esc(p.outsideTransaction)})` : ''}`,
  );
  const lines: string[] = [];
  if (r.layout) lines.push(`Layout: ${esc(r.layout)}`);
  const recorded = r.recordedBy && describeRecorded(r.recordedBy);
  if (recorded) lines.push(`Applied here: ${esc(recorded)}.`);
  if (r.ok && !r.drift.length) lines.push('No drift: every applied file matches its ledger checksum.');
  if (r.outOfOrder.length)
    lines.push(`⚠️ Older than the newest applied migration: ${r.outOfOrder.map(esc).join(', ')}`);
  if (r.unknown.length) lines.push(`⚠️ In the ledger but not in the folder: ${r.unknown.map(esc).join(', ')}`);
  if (r.counts) lines.push(`Catalog: ${describeCounts(r.counts)}`);
  if (r.lint) lines.push(...preflightLint(r.lint));
  if (r.parseError) lines.push(formatPgError(r.parseError));
  else if (r.problem) lines.push(esc(r.problem));
  return {
    text: `Preflight on ${r.env}: ${r.ok ? 'passed' : 'failed'}`,
    blocks: listSections(head, list, lines, 'preflight', 'file'),
  };
}

/** " · waited for pid 4242, reporting-job, …": who made a file's lock attempts give up, when any did. */
function waited(f: AppliedFile): string {
  const w = describeLockWaits(f.lockWaits ?? []);
  return w ? ` · ${esc(w)}` : '';
}

/** How many names of each kind of change the apply reply shows. */
const THREAD_NAMES = 10;

/** A file as the folder names it (results from before file names were kept: `<id>.sql`). */
const nameOf = (f: { id: string; file?: string }) => f.file ?? `${f.id}.sql`;

export function applyReply(r: ApplyResult): Message {
  const head = [`*Apply on ${esc(r.env)}* ${r.ok ? '✅' : '❌'}`];
  // How many, before the list: a long run's reply says its size before its 100 lines.
  if (r.files.length)
    head.push(
      `${plural(r.files.length, 'file')} applied${r.failure ? `, then \`${esc(nameOf(r.failure))}\` failed` : ''}:`,
    );
  const list = r.files.map(
    (f) =>
      `• \`${esc(nameOf(f))}\` · ${plural(f.statements, 'statement')} in ${formatMs(f.durationMs)} · ${plural(f.lockRetries, 'lock retry', 'lock retries')} · ${f.outsideTransaction ? `outside a transaction (${esc(f.outsideTransaction)})` : 'one transaction'}${waited(f)}`,
  );
  const lines: string[] = [];
  if (r.ok && r.files.length === 0)
    lines.push('Nothing to apply: every file up to this migration is in the ledger.');
  if (r.failure) {
    const f = r.failure;
    lines.push(
      `• \`${esc(nameOf(f))}\` failed after ${formatMs(f.durationMs)} with ${plural(f.lockRetries, 'lock retry', 'lock retries')}`,
    );
    lines.push(formatPgError(f.error));
    const waits = describeLockWaits(f.lockWaits ?? []);
    if (waits) lines.push(`Lock: ${esc(waits)}.`);
    if (f.outsideTransaction)
      lines.push(
        `⚠️ This file ran outside a transaction (${esc(f.outsideTransaction)}): ${plural(f.statementsKept, 'statement')} before the failing one ${f.statementsKept === 1 ? 'stays' : 'stay'} applied; the ledger has no row for it. Undo them or make the file re-runnable (IF NOT EXISTS), then run again.`,
      );
    else
      lines.push(
        r.catalogUnchanged
          ? 'The transaction was rolled back: the catalog after equals the catalog before. Nothing was recorded in the ledger.'
          : 'The transaction was rolled back and nothing was recorded for this file; files before it in this run stay applied.',
      );
  }
  if (r.problem) lines.push(esc(r.problem));
  lines.push(
    ...appliedTrace(
      r.env,
      r.files.map((f) => ({ file: nameOf(f), trace: f.lockTrace })),
    ),
  );
  if (r.diffSummary && r.files.length)
    lines.push(`*Schema:* ${esc(r.diffSummary)}${r.countsSummary ? `; ${esc(r.countsSummary)}` : ''}`);
  if (r.changes && r.files.length) {
    // The first ten of each list here; the run report lists them all.
    const names = (items: string[]) => {
      const shown = items.slice(0, THREAD_NAMES).map((i) => `\`${esc(i)}\``);
      const more = items.length - THREAD_NAMES;
      return `${shown.join(', ')}${more > 0 ? `, … and ${more} more (all in the run report)` : ''}`;
    };
    for (const c of r.changes) {
      if (c.added.length) lines.push(`*Added ${c.what}:* ${names(c.added)}`);
      if (c.removed.length) lines.push(`*Removed ${c.what}:* ${names(c.removed)}`);
      if (c.changed.length) lines.push(`*Changed ${c.what}:* ${names(c.changed)}`);
    }
  }
  return {
    text: `Apply on ${r.env}: ${r.ok ? 'done' : 'failed'}`,
    blocks: listSections(head, list, lines, 'apply', 'file'),
  };
}

export function textMessage(text: string): Message {
  return { text, blocks: [section(text)] };
}

export function statusList(runs: readonly Run[]): Message {
  if (!runs.length) return textMessage('No runs yet. Start one with `/deploy-migration &lt;migration&gt;`.');
  const lines = runs.map(
    (r) =>
      `${r.status === 'succeeded' ? '✅' : r.status === 'failed' ? '❌' : r.status === 'running' ? '⏳' : '🚫'} *#${r.id}* \`${esc(r.migration)}\` → ${esc([...new Set(r.steps.map((s) => s.env))].join(', '))} · <@${r.requestedBy}> · ${r.createdAt.slice(0, 16).replace('T', ' ')} UTC`,
  );
  return { text: `Latest ${runs.length} runs`, blocks: [section(`*Latest runs*\n${lines.join('\n')}`)] };
}

export interface ListCell {
  readonly state: 'applied' | 'pending' | 'drift' | 'unreachable';
  readonly appliedAt?: string;
  /** Marked applied without running it (a baseline): shown as applied, with a mark that says so. */
  readonly baselined?: boolean;
}

export function migrationList(
  envs: readonly string[],
  rows: readonly { id: string; checksum: string; cells: ListCell[] }[],
  problems: readonly string[],
  layout?: string,
): Message {
  const cell = (c: ListCell) =>
    c.state === 'applied'
      ? `✅ ${c.baselined ? `baselined ${c.appliedAt?.slice(0, 10)}` : c.appliedAt?.slice(0, 16)}`
      : c.state === 'drift'
        ? '⚠️ drift'
        : c.state === 'pending'
          ? '▫️ pending'
          : '❔ unreachable';
  const width = Math.max(9, ...rows.map((r) => r.id.length)) + 2;
  // An environment's column fits its longest cell ("✅ baselined 2026-11-21").
  const col = Math.max(20, ...rows.flatMap((r) => r.cells.map((c) => [...cell(c)].length + 2)));
  const header = `${'migration'.padEnd(width)}${'sha256'.padEnd(14)}${envs.map((e) => e.padEnd(col)).join('')}`;
  const body = rows.map(
    (r) =>
      `${r.id.padEnd(width)}${r.checksum.slice(0, 12).padEnd(14)}${r.cells.map((c) => cell(c).padEnd(col)).join('')}`,
  );
  const text = `*Migrations × environments*\n\`\`\`${esc([header, ...body].join('\n'))}\`\`\``;
  const blocks = [section(text)];
  if (layout) blocks.push(context(`Layout: ${esc(layout)}`));
  if (rows.some((r) => r.cells.some((c) => c.baselined)))
    blocks.push(
      context(
        '✅ baselined: marked applied without running it (`/deploy-migration baseline`); the schema was made some other way.',
      ),
    );
  if (problems.length) blocks.push(context(problems.map((p) => `⚠️ ${esc(p)}`).join('\n')));
  return { text: `${rows.length} migrations in ${envs.length} environments`, blocks };
}
