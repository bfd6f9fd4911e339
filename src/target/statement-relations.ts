/**
 * Which tables a parsed statement names, and which it creates: enough to tell that a statement can only lock
 * tables this same file created (nobody else can be waiting for those), so the lock trace need not probe it.
 * Names are lowercase `name` or `schema.name` as written. Pure; reads libpg-query's JSON parse tree.
 */

export interface StatementRelations {
  /** Relations the statement names, other than the ones it creates. */
  readonly touched: string[];
  readonly created: string[];
  /** Nothing in the tree says which relations it may lock (a DO block, a CALL, DROP … CASCADE): assume any. */
  readonly unknown: boolean;
}

type Node = Record<string, unknown>;

/** Kinds that name no table and take no lock on one (a new function, type, role, …). */
const NO_TABLE_LOCKS = new Set([
  'CreateFunctionStmt',
  'CreateEnumStmt',
  'AlterEnumStmt',
  'CreateDomainStmt',
  'CompositeTypeStmt',
  'DefineStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'GrantRoleStmt',
  'CreateSchemaStmt',
  'CreateExtensionStmt',
  'CommentStmt',
  'DropStmt',
  'VariableSetStmt',
]);

/** Object types whose names (a list of strings) are relations, for COMMENT ON and DROP. */
const RELATION_OBJECTS = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_SEQUENCE',
]);

const nameOf = (rv: Node) =>
  `${typeof rv.schemaname === 'string' ? `${rv.schemaname.toLowerCase()}.` : ''}${String(rv.relname).toLowerCase()}`;

function strings(list: unknown): string[] {
  const items = ((list as Node | undefined)?.List as Node | undefined)?.items;
  return Array.isArray(items)
    ? items.map((i) => String(((i as Node).String as Node | undefined)?.sval ?? '').toLowerCase())
    : [];
}

/** Every RangeVar in the tree (bare objects with a relname, or wrapped in { RangeVar }). */
function rangeVars(node: unknown, out: Node[], skip: unknown): void {
  if (!node || typeof node !== 'object' || node === skip) return;
  if (Array.isArray(node)) {
    for (const n of node) rangeVars(n, out, skip);
    return;
  }
  const o = node as Node;
  if (typeof o.relname === 'string') {
    out.push(o);
    return;
  }
  for (const v of Object.values(o)) rangeVars(v, out, skip);
}

export function relationsOf(kind: string, node: Node): StatementRelations {
  const createdNode =
    kind === 'CreateStmt'
      ? node.relation
      : kind === 'CreateTableAsStmt'
        ? (node.into as Node | undefined)?.rel
        : kind === 'ViewStmt'
          ? node.view
          : kind === 'CreateSeqStmt'
            ? node.sequence
            : undefined;
  const found: Node[] = [];
  rangeVars(node, found, createdNode);
  const touched = found.map(nameOf);
  if (kind === 'CommentStmt' && node.objtype === 'OBJECT_COLUMN')
    touched.push(strings(node.object).slice(0, -1).join('.'));
  else if (kind === 'CommentStmt' && RELATION_OBJECTS.has(String(node.objtype)))
    touched.push(strings(node.object).join('.'));
  let unknown = !touched.length && !createdNode && !NO_TABLE_LOCKS.has(kind);
  if (kind === 'DropStmt') {
    if (RELATION_OBJECTS.has(String(node.removeType)) || node.removeType === 'OBJECT_INDEX')
      for (const o of (node.objects as unknown[]) ?? []) touched.push(strings(o).join('.'));
    // CASCADE can drop what depends on the object, tables' columns included.
    if (node.behavior === 'DROP_CASCADE') unknown = true;
  }
  return { touched, created: createdNode ? [nameOf(createdNode as Node)] : [], unknown };
}

/** Whether `name` (as written) is one of `created` (as written): same name, and the same schema if both say one. */
export function isCreated(name: string, created: ReadonlySet<string>): boolean {
  if (created.has(name)) return true;
  const bare = name.split('.').at(-1)!;
  for (const c of created)
    if (c.split('.').at(-1) === bare && (!c.includes('.') || !name.includes('.'))) return true;
  return false;
}
