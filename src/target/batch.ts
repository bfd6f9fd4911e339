/**
 * A file's statements sent to PostgreSQL in a few messages instead of one round trip each.
 *
 * Inside the file's transaction, runs of statements go out as one simple-query message ("a; b; c"): PostgreSQL
 * runs them one after another in the open transaction, each with its own statement_timeout (PostgreSQL 13+), and
 * stops at the first error. What the user needs from a failure is which statement failed and where in the file:
 * the statements that completed are counted as PostgreSQL reports each one complete, and the error's position
 * (measured in the whole message) is moved back into the failing statement's own text.
 */
import pg from 'pg';
import type { Statement } from './sql.js';

/** A statement of the file failed (index), as opposed to the bot's own SQL around it (index -1). */
export class StatementError extends Error {
  constructor(
    readonly failure: unknown,
    readonly index: number,
  ) {
    super('statement failed');
  }
}

/** Characters of SQL per message: large files go out in a few messages rather than one huge one. */
const MAX_BATCH_CHARS = 512 * 1024;
/** Between statements: a newline first, so a statement ending in a `--` comment cannot swallow the semicolon. */
const SEPARATOR = '\n;\n';

/** pg's own Query, counting the statements PostgreSQL reports complete (CommandComplete, one per statement). */
class CountingQuery extends pg.Query {
  completed = 0;
  handleCommandComplete(msg: unknown, connection: unknown): void {
    this.completed++;
    (pg.Query.prototype as unknown as CompleteHandler).handleCommandComplete.call(this, msg, connection);
  }
}
interface CompleteHandler {
  handleCommandComplete(msg: unknown, connection: unknown): void;
}

interface Batch {
  readonly first: number;
  readonly text: string;
  /** Character offset of each statement in `text`. */
  readonly offsets: number[];
}

function batches(statements: readonly Statement[], maxChars = MAX_BATCH_CHARS): Batch[] {
  const out: Batch[] = [];
  let current: { first: number; parts: string[]; offsets: number[]; length: number } | undefined;
  for (const [i, st] of statements.entries()) {
    if (current && current.length + SEPARATOR.length + st.sql.length > maxChars) {
      out.push({ first: current.first, text: current.parts.join(SEPARATOR), offsets: current.offsets });
      current = undefined;
    }
    if (!current) current = { first: i, parts: [], offsets: [], length: 0 };
    else current.length += SEPARATOR.length;
    current.offsets.push(current.length);
    current.parts.push(st.sql);
    current.length += st.sql.length;
  }
  if (current)
    out.push({ first: current.first, text: current.parts.join(SEPARATOR), offsets: current.offsets });
  return out;
}

/** The statement of the batch that failed: the first one not reported complete, or where the error points. */
function failedAt(batch: Batch, completed: number, position: number | undefined): number {
  if (completed > 0 || position === undefined) return Math.min(completed, batch.offsets.length - 1);
  // Nothing completed: a parse error of the whole message points into the statement it is about.
  let k = 0;
  while (k + 1 < batch.offsets.length && batch.offsets[k + 1]! < position) k++;
  return k;
}

function send(client: pg.ClientBase, text: string): { done: Promise<unknown>; query: CountingQuery } {
  const query = new CountingQuery(text);
  const done = new Promise((resolve, reject) => {
    // With a callback, pg reports the outcome there (and emits no 'error' event that nobody listens to).
    (query as unknown as { callback: (err: Error | null, res: unknown) => void }).callback = (err, res) =>
      err ? reject(err) : resolve(res);
  });
  void client.query(query as unknown as pg.Submittable);
  return { done, query };
}

/**
 * Run `statements` in the client's open transaction, several per message. Throws StatementError with the index
 * of the statement that failed and PostgreSQL's error, its position moved into that statement's text.
 */
export async function runBatched(
  client: pg.ClientBase,
  statements: readonly Statement[],
  maxChars = MAX_BATCH_CHARS,
): Promise<void> {
  for (const batch of batches(statements, maxChars)) {
    const { done, query } = send(client, batch.text);
    try {
      await done;
    } catch (e) {
      const err = e as pg.DatabaseError;
      const position = err.position ? Number(err.position) - 1 : undefined;
      const k = failedAt(batch, query.completed, position);
      if (position !== undefined) err.position = String(position - batch.offsets[k]! + 1);
      throw new StatementError(e, batch.first + k);
    }
  }
}
