/** Exact row counts preflight records for rows_unchanged checks, read in one read-only transaction. */
import type pg from 'pg';
import type { takeSnapshot } from './snapshot.js';

type Snapshot = Awaited<ReturnType<typeof takeSnapshot>>;

/** "schema"."name" from schema.name as a check writes it (each part quoted as written). */
export const ident = (name: string) =>
  name
    .split('.')
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');

/** Exact row counts of `tables`, one count(*) each, in the caller's transaction. */
export async function countRows(
  client: pg.ClientBase,
  tables: readonly string[],
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  if (!tables.length) return out;
  for (const t of tables) {
    const r = await client.query<{ n: string }>(`select count(*) as n from ${ident(t)}`);
    out[t] = Number(r.rows[0]!.n);
  }
  return out;
}

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
