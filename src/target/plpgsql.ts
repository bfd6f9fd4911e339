/**
 * PL/pgSQL bodies that end transactions: a DO block, or a procedure the same file creates and CALLs, that COMMITs
 * or ROLLBACKs fails with 2D000 inside a transaction block, so its file runs statement by statement outside one.
 * Read with the PL/pgSQL parser (libpg-query 15.6.3 has none: @libpg-query/parser's, PostgreSQL 17's grammar).
 */
import { loadModule, parsePlPgSQLSync } from '@libpg-query/parser';

let loaded: Promise<void> | undefined;
/** Load the PL/pgSQL parser (WASM) once. */
export function loadPlpgsqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

type Node = Record<string, unknown>;

const sval = (n: unknown): string | undefined => ((n as Node)?.String as Node | undefined)?.sval as string;

/** A CREATE FUNCTION / DO option's value (`language`, `as`), as text. */
function option(options: unknown, name: string): string | undefined {
  for (const o of (options as Node[] | undefined) ?? []) {
    const d = o.DefElem as Node | undefined;
    if (d?.defname !== name) continue;
    const arg = d.arg as Node;
    return sval(arg) ?? sval(((arg?.List as Node)?.items as unknown[] | undefined)?.[0]);
  }
  return undefined;
}

/** The first COMMIT or ROLLBACK in a parsed PL/pgSQL function, with its line in the body (1 = the `$$` line). */
function firstEnd(tree: unknown): { what: string; line: number } | undefined {
  if (Array.isArray(tree)) {
    for (const t of tree) {
      const found = firstEnd(t);
      if (found) return found;
    }
    return undefined;
  }
  if (!tree || typeof tree !== 'object') return undefined;
  for (const [key, value] of Object.entries(tree)) {
    if (key === 'PLpgSQL_stmt_commit' || key === 'PLpgSQL_stmt_rollback')
      return { what: key.endsWith('commit') ? 'COMMIT' : 'ROLLBACK', line: (value as Node).lineno as number };
    const found = firstEnd(value);
    if (found) return found;
  }
  return undefined;
}

export interface EndsTransaction {
  readonly what: 'COMMIT' | 'ROLLBACK';
  /** Characters into the statement's text where its body starts (-1 when not found as written). */
  readonly bodyAt: number;
  /** The line of the COMMIT in the body, 1 being the line the body starts on. */
  readonly bodyLine: number;
}

/** Whether this DO block or procedure (PL/pgSQL) ends a transaction in its body, and where. */
export function endsTransaction(kind: string, node: Node, sql: string): EndsTransaction | undefined {
  const options = kind === 'DoStmt' ? node.args : node.options;
  if (kind === 'CreateFunctionStmt' && !node.is_procedure) return undefined;
  if (kind !== 'DoStmt' && kind !== 'CreateFunctionStmt') return undefined;
  if ((option(options, 'language') ?? 'plpgsql').toLowerCase() !== 'plpgsql') return undefined;
  const body = option(options, 'as');
  if (body === undefined || !/\b(commit|rollback)\b/i.test(body)) return undefined;
  let found: ReturnType<typeof firstEnd>;
  try {
    found = firstEnd(parsePlPgSQLSync(sql));
  } catch {
    return undefined; // PostgreSQL reports a body that does not parse, with its line, when it runs
  }
  if (!found) return undefined;
  return { what: found.what as 'COMMIT' | 'ROLLBACK', bodyAt: sql.indexOf(body), bodyLine: found.line };
}

/** The name a CREATE PROCEDURE or CALL names, without its schema (`s.p` → `p`), lowercased. */
export function routineName(kind: string, node: Node): string | undefined {
  const names = kind === 'CallStmt' ? (node.funccall as Node | undefined)?.funcname : node.funcname;
  const last = (names as unknown[] | undefined)?.at(-1);
  return sval(last)?.toLowerCase();
}
