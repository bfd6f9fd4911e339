/** Exact row counts preflight records for rows_unchanged checks, read in one read-only transaction. */
import type pg from 'pg';
import { countRows } from './checks.js';
import type { takeSnapshot } from './snapshot.js';

type Snapshot = Awaited<ReturnType<typeof takeSnapshot>>;

/**
 * The counts of `wanted` (true: every table) that exist now. Names as a check writes them (schema.name, exact case,
 * unquoted): countRows quotes each part itself, so a quoted qname (ru."UserEvents") would be quoted twice. Tables
 * the run creates have no count before it: rows_unchanged skips them. Undefined when no check asks.
 */
export async function rowCountsBefore(
  client: pg.ClientBase,
  snapshot: Snapshot,
  wanted: string[] | true,
): Promise<Record<string, number> | undefined> {
  if (wanted !== true && !wanted.length) return undefined;
  const tables =
    wanted === true
      ? snapshot.tables.filter((t) => t.kind === 'r' || t.kind === 'p').map((t) => `${t.schema}.${t.name}`)
      : wanted;
  const existing = tables.filter((t) =>
    snapshot.tables.some(
      (x) => x.qname === t || `${x.schema}.${x.name}` === t || (x.schema === 'public' && x.name === t),
    ),
  );
  await client.query('begin read only');
  const counts = await countRows(client, existing);
  await client.query('commit');
  return counts;
}
