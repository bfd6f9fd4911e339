/** Markdown basics for files the bot uploads (reports): tables, code, times, people. Pure. */
import { durationCell, durationText } from '../deploy/duration-text.js';
import type { PgErrorView } from '../deploy/results.js';

/** A table cell: a pipe would end the cell and a line break the row. */
const cell = (v: string | number | undefined) =>
  String(v ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ') || ' ';
const row = (cells: readonly (string | number | undefined)[]) => `| ${cells.map(cell).join(' | ')} |`;
export const table = (head: readonly string[], rows: readonly (string | number | undefined)[][]) => [
  row(head),
  `|${head.map(() => '---').join('|')}|`,
  ...rows.map(row),
  '',
];
/** A code block whose fence is longer than any run of backticks inside it. */
export const fence = (text: string) => {
  const ticks = '`'.repeat(Math.max(3, ...(text.match(/`+/g) ?? []).map((t) => t.length + 1)));
  return [ticks, text, ticks, ''];
};
export const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
export const at = (iso: string | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '');
export const who = (user: string) => (/^[UW][A-Z0-9]{2,}$/.test(user) ? `@${user}` : user);
/** A table cell's duration (durationText), empty when none was measured. */
export const ms = durationCell;
/** A run's length: 840 ms, 12.5 s, 20 min 5 s, 3 h 12 min (durationText). */
export const duration = durationText;

export function pgError(e: PgErrorView): string[] {
  const lines = [`ERROR${e.code ? ` ${e.code}` : ''}: ${e.message}`];
  if (e.detail) lines.push(`DETAIL: ${e.detail}`);
  if (e.hint) lines.push(`HINT: ${e.hint}`);
  if (e.where) lines.push(`CONTEXT: ${e.where}`);
  const where = `${code(`${e.file}:${e.line}:${e.column}`)}${e.statement ? ` (statement ${e.statement})` : ''}`;
  return [where, '', ...fence(lines.join('\n'))];
}
