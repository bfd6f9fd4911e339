/** Markdown basics for files the bot uploads (reports): tables, code, times, people. Pure. */
import type { PgErrorView } from '../deploy/results.js';
import { formatMs } from './mrkdwn.js';

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
export const ms = (n: number | undefined) => (n === undefined ? '' : formatMs(n));
/** A run's length: 840 ms, 12.5 s, 20 min 5 s, 3 h 12 min. */
export function duration(n: number): string {
  if (n < 60_000) return formatMs(n);
  const s = Math.round(n / 1000);
  return s < 3600
    ? `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`
    : `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
}

export function pgError(e: PgErrorView): string[] {
  const lines = [`ERROR${e.code ? ` ${e.code}` : ''}: ${e.message}`];
  if (e.detail) lines.push(`DETAIL: ${e.detail}`);
  if (e.hint) lines.push(`HINT: ${e.hint}`);
  if (e.where) lines.push(`CONTEXT: ${e.where}`);
  const where = `${code(`${e.file}:${e.line}:${e.column}`)}${e.statement ? ` (statement ${e.statement})` : ''}`;
  return [where, '', ...fence(lines.join('\n'))];
}
