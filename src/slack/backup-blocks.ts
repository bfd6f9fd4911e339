/** Backups in Slack: the backup step's reply, the restore offer and its buttons, the restore's reply. Pure. */
import {
  BACKUP_SCHEMA,
  type BackedUpTable,
  type BackupResult,
  describeRestore,
  type RestoreResult,
  restorable,
  restoreSummary,
  rowsText,
  sizeText,
  tableName,
} from '../deploy/backups.js';
import { durationText } from '../deploy/duration-text.js';
import { isRestoreGate } from '../deploy/restores.js';
import { latestResult, type StepResults } from '../deploy/step-results.js';
import type { Run } from '../deploy/types.js';
import { button, esc, type Message, mention, sections } from './mrkdwn.js';
import { encodeStepRef } from './refs.js';

/** The buttons a run holding on a restore offer shows (bound in register.ts). */
export const RESTORE_ACTIONS = {
  restore: 'run.restore',
  finish: 'run.finish_without_restore',
} as const;

/** Lists per table stop at this many lines: a message holds 50 blocks, and a migration can touch thousands. */
const SHOWN = 40;
const WHERE_ALL = `\`${BACKUP_SCHEMA}.backups\` in the database lists every copy`;

/** The first SHOWN lines, then how many more and where they all are. */
function capped(lines: readonly string[], where = WHERE_ALL): string[] {
  if (lines.length <= SHOWN) return [...lines];
  return [...lines.slice(0, SHOWN), `… and ${lines.length - SHOWN} more tables: ${where}.`];
}

const copyLine = (t: BackedUpTable) =>
  `• \`${esc(tableName(t))}\` → \`${esc(t.backup)}\`: ${rowsText(t.rows)}, ${sizeText(t.bytes)} (${t.changes.join(', ')})`;

/** The backup step's thread reply: each copy with its rows and size, and what was named but not copied. */
export function backupReply(r: BackupResult): Message {
  const head = r.ok
    ? r.tables.length
      ? `*Backup on ${esc(r.env)}* ✅ ${r.tables.length === 1 ? '1 table' : `${r.tables.length} tables`} copied into \`${BACKUP_SCHEMA}\` in ${durationText(r.durationMs)}, before apply:`
      : `*Backup on ${esc(r.env)}* ✅ nothing to back up: the pending files alter, drop, truncate, update or delete from no table that exists.`
    : `*Backup on ${esc(r.env)}* ❌ ${esc(r.problem ?? 'failed')}`;
  const lines = [head, ...capped(r.tables.map(copyLine))];
  if (r.skipped.length)
    lines.push(`Not copied: ${r.skipped.map((s) => `\`${esc(s.table)}\` ${esc(s.why)}`).join('; ')}.`);
  const text = r.ok
    ? `Backup on ${r.env}: ${r.tables.length ? `${r.tables.length} ${r.tables.length === 1 ? 'table' : 'tables'}, ${rowsText(r.tables.reduce((n, t) => n + t.rows, 0))}` : 'nothing to back up'}`
    : `Backup on ${r.env}: failed`;
  return { text, blocks: sections(lines, 'backup') };
}

/** What the offer says in the rollback's reply: what Restore from backup would put back, and where from. */
export function restoreOfferLines(tables: readonly BackedUpTable[], env: string): string[] {
  return [
    `↩️ The down files do not bring back data the migration removed. The backup taken before apply on *${esc(env)}* can (*Restore from backup* on the run card; the environment stays taken until someone restores or finishes without restoring):`,
    ...capped(describeRestore(tables).map((l) => `• ${esc(l)}`)),
  ];
}

/** The restore step's thread reply. */
export function restoreReply(r: RestoreResult): Message {
  const lines = [
    r.ok
      ? `*Restore on ${esc(r.env)}* ✅ ${esc(restoreSummary(r))} in ${durationText(r.durationMs)}`
      : `*Restore on ${esc(r.env)}* ❌ ${esc(r.problem ?? 'failed')}`,
    ...capped(
      r.tables.map((t) => {
        const parts = [
          ...(t.rowsInserted || !t.columns.length ? [`${rowsText(t.rowsInserted)} put back`] : []),
          ...(t.columns.length
            ? [`${t.columns.map((c) => `\`${esc(c)}\``).join(', ')} put back on ${rowsText(t.rowsUpdated)}`]
            : []),
        ];
        return `• \`${esc(tableName(t))}\`${t.recreated ? ' (created again from its copy)' : ''}: ${parts.join(', ')}`;
      }),
    ),
    ...capped(
      r.tables.flatMap((t) => t.notes.map((n) => `⚠️ ${esc(n)}`)),
      'the step result stored with the run has them all',
    ),
  ];
  return { text: `Restore on ${r.env}: ${r.ok ? 'done' : 'failed'}`, blocks: sections(lines, 'restore') };
}

/** The run card's status line while a rollback's restore offer waits. */
export const restoreOfferStatus = (env: string, failed: boolean, service?: string, more = false) =>
  `↩️ ${service ? `${esc(service)} rolled back` : 'Rolled back'} on ${esc(env)}. ${failed ? 'The restore failed (see the thread); try it again, or' : `Its backup can put back data the down files could not: Restore from backup${service ? ` (${esc(service)}'s)` : ''}, or`} Finish without restoring ${more ? 'to go on with the rollback of the other services' : 'to end the run'}.`;

const confirm = (title: string, text: string, yes: string) => ({
  confirm: {
    title: { type: 'plain_text', text: title },
    text: { type: 'plain_text', text },
    confirm: { type: 'plain_text', text: yes },
    deny: { type: 'plain_text', text: 'Go back' },
  },
});

/** Restore from backup / Finish without restoring, on the run card of a run holding on step `index`'s offer. */
export function restoreButtons(run: Run, index: number): object[] {
  const v = encodeStepRef({ run: run.id, step: index, digest: '' });
  const env = run.steps[index]!.env;
  return [
    button(RESTORE_ACTIONS.restore, 'Restore from backup', v, {
      style: 'danger',
      ...confirm(
        `Restore ${env} from backup?`,
        `This puts back, in one transaction, the rows and column values the migration removed on ${env}, from the copies taken before apply (the thread lists them).`,
        'Restore',
      ),
    }),
    button(RESTORE_ACTIONS.finish, 'Finish without restoring', v),
  ];
}

/** A rollback's reply with the restore offer after it. */
export function withRestoreOffer(m: Message, tables: readonly BackedUpTable[], env: string): Message {
  return {
    text: `${m.text} · Restore from backup is offered`,
    blocks: [...m.blocks, ...sections(restoreOfferLines(tables, env), 'restore-offer')],
  };
}

/** A restore gate's part of its GateView: what restore would put back (the newest backup there before it). */
export function restoreGateView(
  run: Pick<Run, 'steps'>,
  results: StepResults,
  index: number,
): { restore?: readonly string[] } {
  if (!isRestoreGate(run, index)) return {};
  // The restore after this gate says whose backup (with services, its service's).
  const { env, service } = run.steps[index + 1]!;
  const backup = latestResult(results, 'backup', env, index, service);
  return { restore: describeRestore(restorable(backup)) };
}

/** The approval card's head for a restore gate. */
export function restoreGateLines(run: Run, env: string, restore?: readonly string[]): string[] {
  return [
    `*Restore approval needed: ${esc(env)}* · run #${run.id} \`${esc(run.migration)}\` · asked by ${mention(run.endedBy ?? '')}, after the rollback (${esc(run.reason ?? '')})`,
    ...(restore
      ? [
          `Will put back on *${esc(env)}*, in one transaction, from the copies taken before apply:`,
          ...capped(restore.map((l) => `• ${esc(l)}`)),
        ]
      : [
          `Will put back on *${esc(env)}*, in one transaction, what the copies taken before apply hold (the backup's result is missing, so the tables are not listed here).`,
        ]),
  ];
}
