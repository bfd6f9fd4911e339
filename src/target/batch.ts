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

/**
 * pg's own Query, counting the statements PostgreSQL reports complete (CommandComplete, one per statement). It is
 * also a promise of its results, so the footprint tracker around client.query (footprint.ts) counts every
 * statement of the message as it counts any query; a failure carries how many statements completed before it.
 */
class CountingQuery extends pg.Query implements PromiseLike<unknown> {
  completed = 0;
  private readonly outcome: Promise<unknown>;
  constructor(text: string) {
    super(text);
    this.outcome = new Promise((resolve, reject) => {
      // With a callback, pg reports the outcome there (and emits no 'error' event that nobody listens to).
      (this as unknown as { callback: (err: Error | null, res: unknown) => void }).callback = (err, res) => {
        if (!err) return resolve(res);
        (err as Error & { completedStatements?: number }).completedStatements = this.completed;
        reject(err);
      };
    });
  }
  handleCommandComplete(msg: unknown, connection: unknown): void {
    this.completed++;
    (pg.Query.prototype as unknown as CompleteHandler).handleCommandComplete.call(this, msg, connection);
  }
  // biome-ignore lint/suspicious/noThenProperty: a query is awaited for its results, like pg's own promise API
  then<A = unknown, B = never>(
    onfulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.outcome.then(onfulfilled, onrejected);
  }
}
interface CompleteHandler {
  handleCommandComplete(msg: unknown, connection: unknown): void;
}

/** One part of a message: a statement of the file (its index), or the bot's probe after statement `after`. */
interface Item {
  readonly sql: string;
  readonly index?: number;
  readonly after?: number;
}

interface Batch {
  readonly items: Item[];
  readonly text: string;
  /** Character offset of each item in `text`. */
  readonly offsets: number[];
}

function batches(items: readonly Item[], maxChars: number): Batch[] {
  const out: Batch[] = [];
  let current: Batch | undefined;
  let length = 0;
  const close = () => {
    if (current) out.push({ ...current, text: current.items.map((i) => i.sql).join(SEPARATOR) });
  };
  for (const item of items) {
    if (current && length + SEPARATOR.length + item.sql.length > maxChars) {
      close();
      current = undefined;
    }
    if (!current) {
      current = { items: [], text: '', offsets: [] };
      length = 0;
    } else length += SEPARATOR.length;
    current.offsets.push(length);
    current.items.push(item);
    length += item.sql.length;
  }
  close();
  return out;
}

/** The item of the batch that failed: the first one not reported complete, or where the error points. */
function failedAt(batch: Batch, completed: number, position: number | undefined): number {
  if (completed > 0 || position === undefined) return Math.min(completed, batch.offsets.length - 1);
  // Nothing completed: a parse error of the whole message points into the statement it is about.
  let k = 0;
  while (k + 1 < batch.offsets.length && batch.offsets[k + 1]! < position) k++;
  return k;
}

/** Send one message through client.query (so whoever wraps it sees it); resolves with its results. */
function send(client: pg.ClientBase, text: string): { done: Promise<unknown>; query: CountingQuery } {
  const query = new CountingQuery(text);
  const done = Promise.resolve(client.query(query as unknown as pg.Submittable) as unknown);
  return { done, query };
}

/** What running the statements gave back: rows affected per statement, and each probe's first row. */
export interface BatchedResult {
  /** PostgreSQL's row count for each statement (null where it reports none, e.g. DDL). */
  readonly rowCounts: (number | null)[];
  /** The probe's first row, by the index of the statement it followed. */
  readonly probes: Map<number, Record<string, unknown>>;
}

/**
 * Run `statements` in the client's open transaction, several per message, with `probe(i)`'s SQL (if any) run
 * right after statement i. Throws StatementError with the index of the statement that failed and PostgreSQL's
 * error, its position moved into that statement's text (index -1 when a probe failed).
 */
export async function runBatched(
  client: pg.ClientBase,
  statements: readonly Statement[],
  options: { maxChars?: number; probe?: (index: number) => string | undefined } = {},
): Promise<BatchedResult> {
  const items: Item[] = [];
  for (const [index, st] of statements.entries()) {
    items.push({ sql: st.sql, index });
    const probe = options.probe?.(index);
    if (probe) items.push({ sql: probe, after: index });
  }
  const rowCounts: (number | null)[] = [];
  const probes = new Map<number, Record<string, unknown>>();
  for (const batch of batches(items, options.maxChars ?? MAX_BATCH_CHARS)) {
    const { done, query } = send(client, batch.text);
    let res: unknown;
    try {
      res = await done;
    } catch (e) {
      const err = e as pg.DatabaseError;
      const position = err.position ? Number(err.position) - 1 : undefined;
      const k = failedAt(batch, query.completed, position);
      const item = batch.items[k]!;
      if (item.index === undefined) throw new StatementError(e, -1);
      if (position !== undefined) err.position = String(position - batch.offsets[k]! + 1);
      throw new StatementError(e, item.index);
    }
    const results = (Array.isArray(res) ? res : [res]) as pg.QueryResult[];
    for (const [k, item] of batch.items.entries()) {
      const r = results[k];
      if (item.index !== undefined) rowCounts[item.index] = r?.rowCount ?? null;
      else if (item.after !== undefined && r?.rows[0]) probes.set(item.after, r.rows[0]);
    }
  }
  return { rowCounts, probes };
}
