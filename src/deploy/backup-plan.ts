/**
 * Which tables a migration's statements change, read from their parse trees (libpg-query's JSON), and how: what a
 * backup before apply must copy, and what a restore from it can put back. Pure.
 *
 * Seen: ALTER TABLE (and its RENAME and SET SCHEMA forms), DROP TABLE, DROP SCHEMA (every table in it), TRUNCATE,
 * DELETE, UPDATE, MERGE and INSERT … ON CONFLICT DO UPDATE, also inside WITH. Not seen: what a DO block, a function
 * or a procedure does when it runs (their bodies are strings to the parser), and DML run through EXECUTE.
 */

export type Change = 'alter' | 'drop' | 'truncate' | 'update' | 'delete';

/** A table named by the statements: `schema` when they qualify it, else resolved with the session's search_path. */
export interface Touched {
  readonly schema?: string;
  readonly name: string;
  /** What the statements do to it, in the order first seen. */
  readonly changes: readonly Change[];
  /** Rows may be gone after the migration (dropped, truncated, deleted from): restore puts missing rows back. */
  readonly rows: boolean;
  /** Columns whose values the migration drops or rewrites (DROP COLUMN, ALTER COLUMN TYPE, UPDATE SET). */
  readonly columns: readonly string[];
}

export interface TouchedSet {
  readonly tables: readonly Touched[];
  /** Schemas dropped whole: every table in them is touched (dropped). */
  readonly schemas: readonly string[];
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

interface Draft {
  schema?: string;
  name: string;
  changes: Change[];
  rows: boolean;
  columns: string[];
}

/** Collects what the statements touch, merged per table. */
class Collector {
  readonly tables = new Map<string, Draft>();
  readonly schemas: string[] = [];
  /** Columns these statements added (table key → names): filling one loses nothing that was there before. */
  readonly added = new Map<string, Set<string>>();

  touch(
    ref: { schema?: string; name: string } | undefined,
    change: Change,
    more: { rows?: boolean; columns?: string[] } = {},
  ) {
    if (!ref) return;
    const key = `${ref.schema ?? ''}\u0000${ref.name}`;
    const t = this.tables.get(key) ?? {
      ...(ref.schema ? { schema: ref.schema } : {}),
      name: ref.name,
      changes: [],
      rows: false,
      columns: [],
    };
    this.tables.set(key, t);
    if (!t.changes.includes(change)) t.changes.push(change);
    t.rows ||= !!more.rows;
    const added = this.added.get(key);
    for (const c of more.columns ?? []) if (!t.columns.includes(c) && !added?.has(c)) t.columns.push(c);
  }

  /** ADD COLUMN: later UPDATEs of it in the same statements lose nothing (the column was not there before). */
  add(ref: { schema?: string; name: string } | undefined, columns: readonly string[]) {
    if (!ref || !columns.length) return;
    const key = `${ref.schema ?? ''}\u0000${ref.name}`;
    const set = this.added.get(key) ?? new Set<string>();
    for (const c of columns) set.add(c);
    this.added.set(key, set);
  }
}

/** A RangeVar, bare (ALTER TABLE's relation) or wrapped ({ RangeVar: … } in TRUNCATE's list). */
function rangeVar(v: unknown): { schema?: string; name: string } | undefined {
  const rv = isNode(v) && isNode(v.RangeVar) ? v.RangeVar : v;
  if (!isNode(rv)) return undefined;
  const name = str(rv.relname);
  if (!name) return undefined;
  const schema = str(rv.schemaname);
  return schema ? { schema, name } : { name };
}

/** Column names an UPDATE SET (or ON CONFLICT DO UPDATE SET, MERGE … UPDATE SET) assigns. */
const setColumns = (targets: unknown): string[] =>
  list(targets).flatMap((t) => {
    const name = isNode(t) && isNode(t.ResTarget) ? str(t.ResTarget.name) : undefined;
    return name ? [name] : [];
  });

/** A DROP's object name ([schema, name] or [name]) as a table reference. */
function dropName(v: unknown): { schema?: string; name: string } | undefined {
  const items = isNode(v) && isNode(v.List) ? list(v.List.items) : [];
  const parts = items.map((i) => (isNode(i) && isNode(i.String) ? str(i.String.sval) : undefined));
  if (!parts.length || parts.some((p) => p === undefined)) return undefined;
  const name = parts.at(-1)!;
  return parts.length >= 2 ? { schema: parts.at(-2)!, name } : { name };
}

const HANDLERS: Record<string, (n: Node, c: Collector) => void> = {
  AlterTableStmt(n, c) {
    if (n.objtype !== undefined && n.objtype !== 'OBJECT_TABLE') return;
    const columns = list(n.cmds).flatMap((cmd) => {
      const a = isNode(cmd) && isNode(cmd.AlterTableCmd) ? cmd.AlterTableCmd : undefined;
      const name = a && str(a.name);
      return name && (a.subtype === 'AT_DropColumn' || a.subtype === 'AT_AlterColumnType') ? [name] : [];
    });
    c.touch(rangeVar(n.relation), 'alter', { columns });
    const added = list(n.cmds).flatMap((cmd) => {
      const a = isNode(cmd) && isNode(cmd.AlterTableCmd) ? cmd.AlterTableCmd : undefined;
      const def =
        a?.subtype === 'AT_AddColumn' && isNode(a.def) && isNode(a.def.ColumnDef)
          ? a.def.ColumnDef
          : undefined;
      const name = def && str(def.colname);
      return name ? [name] : [];
    });
    c.add(rangeVar(n.relation), added);
  },
  RenameStmt(n, c) {
    if (n.renameType === 'OBJECT_TABLE' || n.relationType === 'OBJECT_TABLE')
      c.touch(rangeVar(n.relation), 'alter');
  },
  AlterObjectSchemaStmt(n, c) {
    if (n.objectType === 'OBJECT_TABLE') c.touch(rangeVar(n.relation), 'alter');
  },
  DropStmt(n, c) {
    if (n.removeType === 'OBJECT_TABLE')
      for (const o of list(n.objects)) c.touch(dropName(o), 'drop', { rows: true });
    if (n.removeType === 'OBJECT_SCHEMA')
      for (const o of list(n.objects)) {
        const name = isNode(o) && isNode(o.String) ? str(o.String.sval) : undefined;
        if (name && !c.schemas.includes(name)) c.schemas.push(name);
      }
  },
  TruncateStmt(n, c) {
    for (const r of list(n.relations)) c.touch(rangeVar(r), 'truncate', { rows: true });
  },
  DeleteStmt(n, c) {
    c.touch(rangeVar(n.relation), 'delete', { rows: true });
  },
  UpdateStmt(n, c) {
    c.touch(rangeVar(n.relation), 'update', { columns: setColumns(n.targetList) });
  },
  MergeStmt(n, c) {
    for (const w of list(n.mergeWhenClauses)) {
      const m = isNode(w) && isNode(w.MergeWhenClause) ? w.MergeWhenClause : undefined;
      if (m?.commandType === 'CMD_UPDATE')
        c.touch(rangeVar(n.relation), 'update', { columns: setColumns(m.targetList) });
      if (m?.commandType === 'CMD_DELETE') c.touch(rangeVar(n.relation), 'delete', { rows: true });
    }
  },
  InsertStmt(n, c) {
    const conflict = isNode(n.onConflictClause) ? n.onConflictClause : undefined;
    if (conflict?.action === 'ONCONFLICT_UPDATE')
      c.touch(rangeVar(n.relation), 'update', { columns: setColumns(conflict.targetList) });
  },
};

function visit(v: unknown, c: Collector): void {
  if (Array.isArray(v)) {
    for (const x of v) visit(x, c);
    return;
  }
  if (!isNode(v)) return;
  for (const [k, x] of Object.entries(v)) {
    const handle = HANDLERS[k];
    if (handle && isNode(x)) handle(x, c);
    // Deeper too: a WITH clause holds DELETEs and UPDATEs inside a SELECT.
    visit(x, c);
  }
}

/** The tables `statements` (each a parse node and its kind, in file order) change, and how. */
export function touchedTables(statements: readonly { kind: string; node: Node }[]): TouchedSet {
  const c = new Collector();
  for (const s of statements) visit({ [s.kind]: s.node }, c);
  return { tables: [...c.tables.values()], schemas: c.schemas };
}

/** Several files' sets as one (a table named in two files is one table). */
export function mergeTouched(sets: readonly TouchedSet[]): TouchedSet {
  const c = new Collector();
  for (const s of sets) {
    for (const t of s.tables)
      for (const change of t.changes) c.touch(t, change, { rows: t.rows, columns: [...t.columns] });
    for (const name of s.schemas) if (!c.schemas.includes(name)) c.schemas.push(name);
  }
  return { tables: [...c.tables.values()], schemas: c.schemas };
}
