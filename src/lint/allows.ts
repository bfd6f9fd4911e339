/**
 * The comments of a migration that speak to lint (`-- migration-gate:allow …`, `-- squawk-ignore …`), found with
 * PostgreSQL's scanner (a `--` inside a string is not a comment), each placed on the statement it applies to: the
 * one it trails on the same line, else the next one.
 */
import { scanSync } from '@libpg-query/parser';
import type { AllowComment } from '../deploy/lint.js';
import { parseAllow } from '../deploy/lint.js';
import type { ParsedFile } from './parse.js';

const COMMENTS = new Set(['SQL_COMMENT', 'C_COMMENT']);

export function allowComments(fileName: string, f: ParsedFile): AllowComment[] {
  let tokens: { start: number; tokenName: string; text: string }[];
  try {
    tokens = scanSync(f.text).tokens;
  } catch {
    return []; // the text parsed, so the scanner reads it; nothing to place if it ever does not
  }
  const out: AllowComment[] = [];
  tokens.forEach((t, k) => {
    if (!COMMENTS.has(t.tokenName) || parseAllow(t.text).kind === 'none') return;
    const char = f.charOf(t.start);
    const at = f.at(char);
    let prev: number | undefined;
    for (let j = k - 1; j >= 0 && prev === undefined; j--)
      if (!COMMENTS.has(tokens[j]!.tokenName)) prev = f.charOf(tokens[j]!.start);
    let next: number | undefined;
    for (let j = k + 1; j < tokens.length && next === undefined; j++)
      if (!COMMENTS.has(tokens[j]!.tokenName)) next = f.charOf(tokens[j]!.start);
    const trails = prev !== undefined && f.at(prev).line === at.line;
    const statement = trails ? f.statementAt(prev!) : next !== undefined ? f.statementAt(next) : -1;
    out.push({ file: fileName, line: at.line, column: at.column, text: t.text, statement });
  });
  return out;
}
