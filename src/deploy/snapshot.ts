/** A catalog snapshot: its shape, how each kind of object is named and compared, and its fingerprint. Pure. */

export interface Snapshot {
  serverVersion: string;
  databaseSize: number;
  tables: {
    schema: string;
    name: string;
    qname: string;
    kind: string;
    rls: boolean;
    forceRls: boolean;
    rowEstimate: number;
  }[];
  columns: { table: string; name: string; type: string; notNull: boolean; default: string | null }[];
  constraints: { table: string; name: string; type: string; definition: string }[];
  indexes: {
    table: string;
    name: string;
    unique: boolean;
    primary: boolean;
    valid: boolean;
    predicate: string | null;
    definition: string;
  }[];
  functions: {
    schema: string;
    name: string;
    args: number;
    identityArgs: string;
    returns: string;
    securityDefiner: boolean;
    kind: string;
  }[];
  policies: {
    table: string;
    name: string;
    command: string;
    permissive: boolean;
    roles: string[];
    using: string | null;
    check: string | null;
  }[];
  triggers: { table: string; name: string; definition: string }[];
  extensions: { name: string; version: string }[];
  grants: { object: string; objectType: string; grantee: string; privilege: string }[];
}

export type Category = Exclude<keyof Snapshot, 'serverVersion' | 'databaseSize'>;

/** How each kind of object is named, and which fields count as a change. */
export const KEYS: Record<
  Category,
  { noun: [string, string]; key: (o: never) => string; compare: (o: never) => string }
> = {
  tables: {
    noun: ['table', 'tables'],
    key: (t: Snapshot['tables'][number]) => t.qname,
    compare: (t: Snapshot['tables'][number]) => `${t.kind}|${t.rls}|${t.forceRls}`,
  },
  columns: {
    noun: ['column', 'columns'],
    key: (c: Snapshot['columns'][number]) => `${c.table}.${c.name}`,
    compare: (c: Snapshot['columns'][number]) => `${c.type}|${c.notNull}|${c.default}`,
  },
  constraints: {
    noun: ['constraint', 'constraints'],
    key: (c: Snapshot['constraints'][number]) => `${c.table}.${c.name}`,
    compare: (c: Snapshot['constraints'][number]) => c.definition,
  },
  indexes: {
    noun: ['index', 'indexes'],
    key: (i: Snapshot['indexes'][number]) => `${i.table}.${i.name}`,
    compare: (i: Snapshot['indexes'][number]) => `${i.definition}|${i.valid}`,
  },
  functions: {
    noun: ['function', 'functions'],
    key: (f: Snapshot['functions'][number]) => `${f.schema}.${f.name}(${f.identityArgs})`,
    compare: (f: Snapshot['functions'][number]) => `${f.returns}|${f.securityDefiner}|${f.kind}`,
  },
  policies: {
    noun: ['policy', 'policies'],
    key: (p: Snapshot['policies'][number]) => `${p.table}.${p.name}`,
    compare: (p: Snapshot['policies'][number]) =>
      `${p.command}|${p.permissive}|${p.roles.join(',')}|${p.using}|${p.check}`,
  },
  triggers: {
    noun: ['trigger', 'triggers'],
    key: (t: Snapshot['triggers'][number]) => `${t.table}.${t.name}`,
    compare: (t: Snapshot['triggers'][number]) => t.definition,
  },
  extensions: {
    noun: ['extension', 'extensions'],
    key: (e: Snapshot['extensions'][number]) => e.name,
    compare: (e: Snapshot['extensions'][number]) => e.version,
  },
  grants: {
    noun: ['grant', 'grants'],
    key: (g: Snapshot['grants'][number]) => `${g.objectType} ${g.object} ${g.privilege} to ${g.grantee}`,
    compare: () => '',
  },
};

export const CATEGORIES = Object.keys(KEYS) as Category[];

/** The catalog as sorted lines (row estimates and size left out): equal lines, equal catalogs. */
export function fingerprint(s: Snapshot): string[] {
  return CATEGORIES.flatMap((cat) =>
    s[cat].map((o) => `${cat}:${KEYS[cat].key(o as never)}|${KEYS[cat].compare(o as never)}`),
  ).sort();
}
