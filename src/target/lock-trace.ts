/**
 * Measuring a file's locks as it runs (src/deploy/lock-trace.ts says what is kept): after every statement that
 * can take a lock stronger than ROW EXCLUSIVE, a probe in the same message reads the applying session's own
 * granted relation locks of those modes and the relations' relfilenodes, with the server's clock. Plain DML
 * (which takes ROW EXCLUSIVE at most) is not probed, so a file of inserts costs nothing extra.
 */
import type pg from 'pg';
import {
  type RelationSize,
  STRONG_MODES,
  type StrongMode,
  type TracedLock,
  type TracedStatement,
} from '../deploy/lock-trace.js';
import type { Statement } from './sql.js';
import { isCreated } from './statement-relations.js';

const DML = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'SelectStmt', 'MergeStmt', 'VariableSetStmt']);
const MODES = STRONG_MODES.map((m) => `'${m}'`).join(', ');

const PROBE = `select extract(epoch from clock_timestamp()) * 1000 as at,
  coalesce(string_agg(l.relation::int::text || ':' || l.mode || ':' || coalesce(c.relfilenode, 0)::text, ','), '') as locks
  from pg_locks l left join pg_class c on c.oid = l.relation
  where l.pid = pg_backend_pid() and l.locktype = 'relation' and l.granted and l.mode in (${MODES})`;

/** Relations before the file ran ([oid, relfilenode, schema.name]), with the server's clock; names are read here
 * because a relation the file drops has none by the time the statements ran. */
const BEFORE = `select extract(epoch from clock_timestamp()) * 1000 as at,
  coalesce(json_agg(json_build_array(c.oid::int, c.relfilenode::text,
    quote_ident(n.nspname) || '.' || quote_ident(c.relname))), '[]') as rels
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'm') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')`;

/**
 * Which statements to probe: not plain DML, and not one that names only tables this file created before it (or
 * creates): nobody else can be waiting for those. Unparsed relations (no `relations`): probe.
 */
function probed(statements: readonly Statement[]): boolean[] {
  const created = new Set<string>();
  return statements.map((st) => {
    if (DML.has(st.kind)) return false;
    const r = st.relations;
    const probe = !r || r.unknown || r.touched.some((n) => !isCreated(n, created));
    for (const c of r?.created ?? []) created.add(c);
    return probe;
  });
}

export interface Tracer {
  /** The probe to send after statement i, if any (for runBatched). */
  probe(index: number): string | undefined;
  /** Read the relations as they are before the file's statements (in its transaction); false: nothing to trace. */
  start(client: pg.ClientBase): Promise<boolean>;
  /** Put the trace together once the statements ran; `tailMs`: the time from the last statement to the commit. */
  finish(
    probes: Map<number, Record<string, unknown>>,
    rowCounts: readonly (number | null)[],
    tailMs: number,
  ): TracedStatement[];
}

export function lockTracer(statements: readonly Statement[]): Tracer {
  const last = statements.length - 1;
  const probe = probed(statements);
  const any = probe.some(Boolean);
  let before = new Map<number, string>();
  let names = new Map<number, string>();
  let startedAt = 0;
  return {
    probe: (i) => (any && (probe[i] || i === last) ? PROBE : undefined),
    async start(client) {
      if (!any) return false;
      const r = (await client.query<{ at: number; rels: [number, string, string][] }>(BEFORE)).rows[0]!;
      startedAt = Number(r.at);
      before = new Map(r.rels.map(([oid, node]) => [oid, node]));
      names = new Map(r.rels.map(([oid, , name]) => [oid, name]));
      return true;
    },
    finish(probes, rowCounts, tailMs) {
      const endAt = Number(probes.get(last)?.at ?? startedAt);
      const held = new Map<number, number>();
      const nodes = new Map(before);
      const found: {
        index: number;
        startAt: number;
        locks: { oid: number; mode: StrongMode; rewrite: boolean }[];
      }[] = [];
      let prevAt = startedAt;
      for (let i = 0; i < statements.length; i++) {
        const p = probes.get(i);
        if (!p) continue;
        // The strongest mode held on each relation now, and its storage (0: the relation is gone).
        const now = new Map<number, { rank: number; node: string }>();
        for (const entry of String(p.locks || '')
          .split(',')
          .filter(Boolean)) {
          const [oidText, mode, node] = entry.split(':') as [string, StrongMode, string];
          const oid = Number(oidText);
          if (!before.has(oid)) continue; // created by this file: nobody else could be waiting for it
          const rank = STRONG_MODES.indexOf(mode);
          if (rank > (now.get(oid)?.rank ?? -1)) now.set(oid, { rank, node });
        }
        const locks: { oid: number; mode: StrongMode; rewrite: boolean }[] = [];
        for (const [oid, { rank, node }] of now) {
          const rewrite = node !== '0' && nodes.get(oid) !== node;
          if (node !== '0') nodes.set(oid, node);
          // Worth showing: a lock stronger than any an earlier statement took on it, or a rewrite.
          const stronger = rank > (held.get(oid) ?? -1);
          if (probe[i] && (stronger || rewrite)) locks.push({ oid, mode: STRONG_MODES[rank]!, rewrite });
          if (stronger) held.set(oid, rank);
        }
        if (locks.length) found.push({ index: i, startAt: prevAt, locks });
        prevAt = Number(p.at);
      }
      return found.map(({ index, startAt, locks }) => {
        const st = statements[index]!;
        return {
          statement: index + 1,
          line: st.at.line,
          text: firstLine(st.sql),
          locks: locks.map(
            (l): TracedLock => ({
              relation: names.get(l.oid) ?? String(l.oid),
              mode: l.mode,
              rewrite: l.rewrite,
            }),
          ),
          rows: rowCounts[index] ?? null,
          heldMs: Math.max(0, Math.round(endAt - startAt + tailMs)),
        };
      });
    },
  };
}

/** The statement's first line of SQL (comments before it skipped), shortened. */
function firstLine(sql: string): string {
  const line = sql
    .replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '')
    .split('\n')[0]!
    .trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** Estimated rows and total size here of the relations a trace from elsewhere names (missing ones left out). */
export async function readSizes(
  client: pg.ClientBase,
  relations: readonly string[],
): Promise<RelationSize[]> {
  if (!relations.length) return [];
  const r = await client.query<RelationSize>(
    `select r.name as relation, c.reltuples::float8 as rows, pg_total_relation_size(c.oid)::float8 as bytes
       from unnest($1::text[]) as r(name) join pg_class c on c.oid = to_regclass(r.name)`,
    [relations],
  );
  return r.rows.map((x) => ({ relation: x.relation, rows: Number(x.rows), bytes: Number(x.bytes) }));
}
