/**
 * A migration text parsed once for linting: its statements' parse trees (libpg-query, PostgreSQL 15's grammar, as
 * src/target/sql.ts splits them), where each starts, and offsets turned into line:column.
 */
import { parseSync } from 'libpg-query';
import { type LineCol, LineIndex, lineColAt, skipTrivia } from '../deploy/position.js';

export type Node = Record<string, unknown>;

export interface ParsedStatement {
  readonly kind: string;
  readonly node: Node;
  /** 0-based character offset where the statement's text starts (after the previous semicolon). */
  readonly charStart: number;
  /** Its first keyword. */
  readonly at: LineCol;
}

export interface ParsedFile {
  readonly text: string;
  readonly statements: ParsedStatement[];
  /** The character offset of a UTF-8 byte offset (libpg-query's locations are bytes). */
  charOf(byte: number): number;
  /** 1-based line and column (in characters) of a character offset. */
  at(char: number): LineCol;
  /** The index of the statement a character offset is in (-1 before the first). */
  statementAt(char: number): number;
}

export type ParseOutcome = { ok: true; file: ParsedFile } | { ok: false; message: string; at: LineCol };

/** Parse a migration (load the parser first: src/target/sql.ts loadParser). */
export function parseMigration(text: string): ParseOutcome {
  const bytes = Buffer.from(text, 'utf8');
  const ascii = bytes.length === text.length;
  const charOf = (byte: number) =>
    ascii ? Math.min(byte, text.length) : bytes.subarray(0, byte).toString('utf8').length;
  let tree: { stmts?: { stmt: Record<string, Node>; stmt_location?: number }[] };
  try {
    tree = parseSync(text) as typeof tree;
  } catch (e) {
    const d = (e as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    return {
      ok: false,
      message: d?.message ?? (e as Error).message,
      at: lineColAt(text, charOf(d?.cursorPosition ?? 0)),
    };
  }
  const lines = new LineIndex(text);
  const statements = (tree.stmts ?? []).map((raw) => {
    const kind = Object.keys(raw.stmt)[0] ?? 'Unknown';
    const charStart = charOf(raw.stmt_location ?? 0);
    return { kind, node: raw.stmt[kind] ?? {}, charStart, at: lines.at(skipTrivia(text, charStart)) };
  });
  return {
    ok: true,
    file: {
      text,
      statements,
      charOf,
      at: (char) => lines.at(char),
      statementAt(char) {
        let found = -1;
        for (const [i, s] of statements.entries()) {
          if (s.charStart > char) break;
          found = i;
        }
        return found;
      },
    },
  };
}
