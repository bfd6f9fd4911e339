/** Where in a migration file a PostgreSQL error happened, from the statement and the error's position. */
import type pg from 'pg';
import { lineColAt } from '../deploy/position.js';
import type { PgErrorView } from '../deploy/results.js';
import type { MigrationFile } from './files.js';
import type { Statement } from './sql.js';

/** A PostgreSQL error as the user sees it: code, message, detail, hint and the file's line and column. */
export function toPgError(
  e: unknown,
  file: MigrationFile,
  st: Statement | undefined,
  index: number,
): PgErrorView {
  const err = e as pg.DatabaseError;
  const pos = err.position ? Number(err.position) : undefined;
  const at = st && pos ? lineColAt(file.text, st.charStart + pos - 1) : (st?.at ?? { line: 1, column: 1 });
  return {
    code: err.code,
    message: err.message,
    detail: err.detail,
    hint: err.hint,
    where: err.where,
    file: file.fileName,
    line: at.line,
    column: at.column,
    statement: st ? index + 1 : undefined,
  };
}
