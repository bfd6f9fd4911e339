import { loadModule, parseSync } from 'libpg-query';
import { byteToCharOffset, type LineCol, LineIndex, lineColAt, skipTrivia } from '../deploy/position.js';
import { endsTransaction, loadPlpgsqlParser, routineName } from './plpgsql.js';
import { relationsOf, type StatementRelations } from './statement-relations.js';

let loaded: Promise<void> | undefined;
/** Load the PostgreSQL parser (WASM) once, and the PL/pgSQL one beside it. */
export function loadParser(): Promise<void> {
  loaded ??= Promise.all([loadModule(), loadPlpgsqlParser()]).then(() => undefined);
  return loaded;
}

export interface Statement {
  readonly sql: string;
  /** 0-based character offset of the statement's text in the file. */
  readonly charStart: number;
  /** Where the statement's first keyword is. */
  readonly at: LineCol;
  /** The parse node type, e.g. "CreateStmt". */
  readonly kind: string;
  /** Why this statement cannot run inside a transaction block, if it cannot. */
  readonly noTransaction?: string;
  /** For BEGIN, COMMIT and the like: which one (libpg-query's TransactionStmt kind, e.g. TRANS_STMT_BEGIN). */
  readonly transaction?: string;
  /** The tables it names and creates (for the lock trace: statement-relations.ts). */
  readonly relations?: StatementRelations;
}

export type SplitResult = { ok: true; statements: Statement[] } | { ok: false; message: string; at: LineCol };

interface RawStmt {
  stmt: Record<string, Record<string, unknown>>;
  stmt_location?: number;
  stmt_len?: number;
}

/** Why a statement must run outside a transaction block (PostgreSQL refuses it inside one). */
function noTransactionReason(
  kind: string,
  node: Record<string, unknown>,
  serverVersionNum: number,
): string | undefined {
  if (kind === 'IndexStmt' && node.concurrent) return 'CREATE INDEX CONCURRENTLY';
  if (kind === 'DropStmt' && node.concurrent) return 'DROP INDEX CONCURRENTLY';
  if (kind === 'ReindexStmt' && JSON.stringify(node.params ?? []).includes('"concurrently"'))
    return 'REINDEX CONCURRENTLY';
  if (kind === 'VacuumStmt') return node.is_vacuumcmd === false ? undefined : 'VACUUM';
  if (kind === 'AlterEnumStmt' && serverVersionNum < 120000)
    return 'ALTER TYPE … ADD VALUE (before PostgreSQL 12)';
  if (kind === 'CreatedbStmt') return 'CREATE DATABASE';
  if (kind === 'DropdbStmt') return 'DROP DATABASE';
  if (kind === 'CreateTableSpaceStmt') return 'CREATE TABLESPACE';
  if (kind === 'DropTableSpaceStmt') return 'DROP TABLESPACE';
  if (kind === 'AlterSystemStmt') return 'ALTER SYSTEM';
  if (kind === 'CreateSubscriptionStmt') return 'CREATE SUBSCRIPTION';
  return undefined;
}

/**
 * Split a migration file into statements with the real PostgreSQL parser.
 * Offsets from libpg-query are UTF-8 byte offsets: slice a Buffer, not the string.
 */
/**
 * The split of texts already split in this process, by server version: preflight splits a run's files and apply
 * splits the same texts again (a 1,000-statement file takes tens of milliseconds). Bounded; results are shared, so
 * nobody may change them (callers copy: see statementsToRun).
 */
const splitCache = new Map<number, Map<string, SplitResult>>();
const SPLIT_CACHE_MAX = 2_000;

export function splitStatements(text: string, serverVersionNum = 150000): SplitResult {
  const byVersion = splitCache.get(serverVersionNum) ?? new Map<string, SplitResult>();
  splitCache.set(serverVersionNum, byVersion);
  const hit = byVersion.get(text);
  if (hit) return hit;
  const split = splitFresh(text, serverVersionNum);
  if (byVersion.size >= SPLIT_CACHE_MAX) byVersion.clear();
  byVersion.set(text, split);
  return split;
}

function splitFresh(text: string, serverVersionNum: number): SplitResult {
  let parsed: { stmts?: RawStmt[] };
  try {
    parsed = parseSync(text) as { stmts?: RawStmt[] };
  } catch (e) {
    const details = (e as { sqlDetails?: { message?: string; cursorPosition?: number } }).sqlDetails;
    const pos = details?.cursorPosition ?? 0;
    return {
      ok: false,
      message: details?.message ?? (e as Error).message,
      at: lineColAt(text, byteToCharOffset(text, pos)),
    };
  }
  const bytes = Buffer.from(text, 'utf8');
  const lines = new LineIndex(text);
  const statements: Statement[] = [];
  // Offsets grow statement by statement: convert bytes to characters incrementally (linear, not quadratic).
  let byteCursor = 0;
  let charCursor = 0;
  /** Procedures this file creates whose body COMMITs or ROLLBACKs: a CALL of one cannot run in a transaction. */
  const ending = new Map<string, string>();
  for (const raw of parsed.stmts ?? []) {
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len === undefined || raw.stmt_len === 0 ? bytes.length : start + raw.stmt_len;
    const sql = bytes.subarray(start, end).toString('utf8');
    const charStart = charCursor + bytes.subarray(byteCursor, start).toString('utf8').length;
    byteCursor = start;
    charCursor = charStart;
    const kind = Object.keys(raw.stmt)[0] ?? 'Unknown';
    const node = raw.stmt[kind] ?? {};
    const at = lines.at(skipTrivia(text, charStart));
    const ends = endsTransaction(kind, node, sql);
    const endLine =
      ends && (ends.bodyAt < 0 ? at.line : lines.at(charStart + ends.bodyAt).line + ends.bodyLine - 1);
    if (ends && kind === 'CreateFunctionStmt')
      ending.set(routineName(kind, node) ?? '', `${ends.what} at line ${endLine}`);
    const called = kind === 'CallStmt' ? ending.get(routineName(kind, node) ?? '') : undefined;
    statements.push({
      sql,
      charStart,
      at,
      kind,
      noTransaction:
        noTransactionReason(kind, node, serverVersionNum) ??
        (ends && kind === 'DoStmt'
          ? `the DO block at line ${at.line} ends its transaction: ${ends.what} at line ${endLine}`
          : undefined) ??
        (called
          ? `the CALL at line ${at.line} runs a procedure that ends its transaction: ${called}`
          : undefined),
      ...(kind === 'TransactionStmt' ? { transaction: String(node.kind) } : {}),
      relations: relationsOf(kind, node),
    });
  }
  return { ok: true, statements };
}

/** What a file's layout says about transactions (src/target/files.ts MigrationFile carries these). */
export interface FileRules {
  /** A single BEGIN; … COMMIT; around the whole file is the file's transaction (supabase). */
  readonly transactionWrapper?: boolean;
  /** The file asks to run outside a transaction (dbmate's `transaction:false`): the reason. */
  readonly noTransaction?: string;
}

const OPENS = ['TRANS_STMT_BEGIN', 'TRANS_STMT_START'];

/** The first and last statements when they are BEGIN and COMMIT around the rest and the file allows it. */
function wrapper(statements: readonly Statement[], rules: FileRules): boolean {
  const first = statements[0];
  const last = statements.at(-1);
  return (
    !!rules.transactionWrapper &&
    statements.length >= 2 &&
    OPENS.includes(first?.transaction ?? '') &&
    last?.transaction === 'TRANS_STMT_COMMIT'
  );
}

/** Problems that make a file unsafe to run as a migration, each a sentence with line:column. */
export function statementProblems(statements: readonly Statement[], rules: FileRules = {}): string[] {
  const problems: string[] = [];
  const wrapped = wrapper(statements, rules);
  const inner = wrapped ? statements.slice(1, -1) : statements;
  for (const s of inner) {
    if (s.kind === 'TransactionStmt')
      problems.push(
        wrapped || rules.transactionWrapper
          ? `line ${s.at.line}:${s.at.column}: remove this BEGIN/COMMIT/ROLLBACK; only one BEGIN; … COMMIT; around the whole file is allowed (it is the file's transaction)`
          : `line ${s.at.line}:${s.at.column}: remove BEGIN/COMMIT/ROLLBACK; migration-gate runs each file in its own transaction`,
      );
    else if (wrapped && s.noTransaction)
      problems.push(
        `line ${s.at.line}:${s.at.column}: ${s.noTransaction} cannot run inside the file's BEGIN; … COMMIT;; move it to a file of its own without them`,
      );
  }
  return problems;
}

/**
 * The statements to run for a file: without its BEGIN/COMMIT wrapper (the executor opens the transaction), and
 * all outside a transaction when the file asks for it.
 */
export function statementsToRun(statements: readonly Statement[], rules: FileRules = {}): Statement[] {
  const inner = wrapper(statements, rules) ? statements.slice(1, -1) : [...statements];
  if (!rules.noTransaction || inner.length === 0) return inner;
  return [{ ...inner[0]!, noTransaction: rules.noTransaction }, ...inner.slice(1)];
}
