/**
 * migration-gate's own lint rules (src/deploy/lint-rules.ts OWN_RULES), read from the parse tree: what squawk has
 * no rule for and runbooks care about (functions, privileges, row-level security). No regexes over SQL.
 */
import type { RawFinding } from '../deploy/lint.js';
import type { OwnRule } from '../deploy/lint-rules.js';
import type { Node, ParsedFile, ParsedStatement } from './parse.js';

const ROUTINES: Record<string, string> = {
  OBJECT_FUNCTION: 'FUNCTION',
  OBJECT_PROCEDURE: 'PROCEDURE',
  OBJECT_ROUTINE: 'ROUTINE',
  OBJECT_AGGREGATE: 'AGGREGATE',
};

const sval = (n: unknown) =>
  ((n as Node | undefined)?.String as Node | undefined)?.sval as string | undefined;
const list = (n: unknown) => (Array.isArray(n) ? (n as Node[]) : []);
const names = (n: unknown) =>
  list(n)
    .map(sval)
    .filter((s): s is string => !!s);

/** A type as written in a signature: its last name part (int4, text, uuid), [] for arrays. */
function typeName(t: unknown): string {
  const n = (t as Node | undefined)?.TypeName as Node | undefined;
  const base = names(n?.names ?? (t as Node | undefined)?.names).at(-1) ?? '?';
  return `${base}${list(n?.arrayBounds ?? (t as Node | undefined)?.arrayBounds).length ? '[]' : ''}`;
}

interface Signature {
  readonly name: string;
  /** Argument types, undefined when a DROP names the function without them. */
  readonly args?: string[];
}
const show = (s: Signature) => `${s.name}${s.args ? `(${s.args.join(', ')})` : ''}`;
const sameName = (a: Signature, b: Signature) =>
  a.name.split('.').at(-1)!.toLowerCase() === b.name.split('.').at(-1)!.toLowerCase();

function fromObjectWithArgs(o: unknown): Signature {
  const n = ((o as Node).ObjectWithArgs ?? o) as Node;
  return {
    name: names(n.objname).join('.'),
    ...(n.args_unspecified ? {} : { args: list(n.objargs).map((a) => typeName(a)) }),
  };
}

function fromCreate(node: Node): Signature {
  const inputs = list(node.parameters)
    .map((p) => p.FunctionParameter as Node)
    .filter((p) => !['FUNC_PARAM_OUT', 'FUNC_PARAM_TABLE'].includes(String(p.mode)));
  return { name: names(node.funcname).join('.'), args: inputs.map((p) => typeName(p.argType)) };
}

/** A DefElem list's `security` (DEFINER = true) and whether it sets search_path to a value. */
function securityOf(options: unknown): { definer: boolean; at?: number; searchPath: boolean } {
  let definer = false;
  let at: number | undefined;
  let searchPath = false;
  for (const o of list(options)) {
    const d = o.DefElem as Node | undefined;
    if (d?.defname === 'security') {
      definer = ((d.arg as Node | undefined)?.Boolean as Node | undefined)?.boolval === true;
      at = d.location as number | undefined;
    }
    const set = (d?.arg as Node | undefined)?.VariableSetStmt as Node | undefined;
    if (d?.defname === 'set' && set?.name === 'search_path')
      searchPath = set.kind === 'VAR_SET_VALUE' || set.kind === 'VAR_SET_CURRENT';
  }
  return { definer, at, searchPath };
}

const relName = (r: unknown) => {
  const v = ((r as Node | undefined)?.RangeVar ?? r) as Node | undefined;
  return [v?.schemaname, v?.relname].filter(Boolean).join('.');
};

/** "select, update ON TABLE t, u" */
function grantText(g: Node): string {
  const privs = list(g.privileges).map((p) => String((p.AccessPriv as Node).priv_name ?? 'all'));
  const what = String(g.objtype ?? '')
    .replace('OBJECT_', '')
    .toLowerCase();
  const objects = list(g.objects).map((o) =>
    o.RangeVar ? relName(o) : o.ObjectWithArgs ? show(fromObjectWithArgs(o)) : (sval(o) ?? '?'),
  );
  return `${privs.length ? privs.join(', ') : 'ALL'} ON ${what.toUpperCase()}${objects.length ? ` ${objects.join(', ')}` : 'S'}`;
}

const grantees = (g: Node) =>
  list(g.grantees).map((r) => {
    const spec = r.RoleSpec as Node;
    return spec.roletype === 'ROLESPEC_PUBLIC' ? 'PUBLIC' : String(spec.rolename ?? spec.roletype);
  });
const publicAt = (g: Node) =>
  list(g.grantees)
    .map((r) => r.RoleSpec as Node)
    .find((s) => s.roletype === 'ROLESPEC_PUBLIC')?.location as number | undefined;

/** Every finding of our rules in one parsed file. */
export function ownFindings(fileName: string, f: ParsedFile): RawFinding[] {
  const out: RawFinding[] = [];
  const add = (rule: OwnRule, i: number, message: string, byte?: number) => {
    const at = byte === undefined ? f.statements[i]!.at : f.at(f.charOf(byte));
    out.push({ rule, file: fileName, line: at.line, column: at.column, message, statement: i });
  };
  const drops: { sig: Signature; i: number; what: string }[] = [];
  const creates: { sig: Signature; i: number }[] = [];
  f.statements.forEach((s: ParsedStatement, i) => {
    const n = s.node;
    if (s.kind === 'DropStmt' && ROUTINES[String(n.removeType)])
      for (const o of list(n.objects))
        drops.push({ sig: fromObjectWithArgs(o), i, what: ROUTINES[String(n.removeType)]! });
    if (s.kind === 'DropStmt' && n.removeType === 'OBJECT_POLICY')
      for (const o of list(n.objects)) {
        const parts = names((o.List as Node | undefined)?.items);
        add(
          'drop-policy',
          i,
          `DROP POLICY ${parts.at(-1)} ON ${parts.slice(0, -1).join('.')}: which rows each role can read or write changes at once; check the policies left on the table.`,
        );
      }
    if (s.kind === 'CreateFunctionStmt') {
      const sig = fromCreate(n);
      creates.push({ sig, i });
      const kind = n.is_procedure ? 'PROCEDURE' : 'FUNCTION';
      if (n.replace)
        add(
          'replace-function',
          i,
          `CREATE OR REPLACE ${kind} ${show(sig)} changes a live ${kind.toLowerCase()} in place when it exists: callers get the new body at once and the old one is kept nowhere (the down file must restore it).`,
        );
      const sec = securityOf(n.options);
      if (sec.definer && !sec.searchPath)
        add(
          'security-definer-search-path',
          i,
          `SECURITY DEFINER ${kind.toLowerCase()} ${show(sig)} sets no search_path: a caller can put objects on its search_path that shadow the ones it uses and run them as its owner. Add SET search_path = pg_catalog, public (or '').`,
          sec.at,
        );
    }
    if (s.kind === 'AlterFunctionStmt') {
      const sec = securityOf(n.actions);
      if (sec.definer && !sec.searchPath)
        add(
          'security-definer-search-path',
          i,
          `ALTER ${ROUTINES[String(n.objtype)] ?? 'FUNCTION'} ${show(fromObjectWithArgs(n.func))} SECURITY DEFINER without SET search_path in the same statement: a caller can shadow the objects it uses and run them as its owner.`,
          sec.at,
        );
    }
    if (s.kind === 'RenameStmt' && ROUTINES[String(n.renameType)])
      add(
        'function-signature-change',
        i,
        `ALTER ${ROUTINES[String(n.renameType)]} ${show(fromObjectWithArgs(n.object))} RENAME TO ${String(n.newname)}: callers using the old name fail.`,
      );
    if (s.kind === 'AlterObjectSchemaStmt' && ROUTINES[String(n.objectType)])
      add(
        'function-signature-change',
        i,
        `ALTER ${ROUTINES[String(n.objectType)]} ${show(fromObjectWithArgs(n.object))} SET SCHEMA ${String(n.newschema)}: callers that name it by its old schema, or without the new one on their search_path, fail.`,
      );
    const grant =
      s.kind === 'GrantStmt' ? n : s.kind === 'AlterDefaultPrivilegesStmt' ? (n.action as Node) : undefined;
    const defaults = s.kind === 'AlterDefaultPrivilegesStmt' ? 'ALTER DEFAULT PRIVILEGES ' : '';
    if (grant && !grant.is_grant)
      add(
        'revoke',
        i,
        `${defaults}REVOKE ${grantText(grant)} FROM ${grantees(grant).join(', ')}: whoever relied on it (an application role, a job, a report) fails with permission denied (42501) from its next query.`,
      );
    if (grant?.is_grant && publicAt(grant) !== undefined)
      add(
        'grant-to-public',
        i,
        `${defaults}GRANT ${grantText(grant)} TO PUBLIC: every role, present and future, gets it.`,
        publicAt(grant),
      );
    if (s.kind === 'GrantRoleStmt' && !n.is_grant)
      add(
        'revoke',
        i,
        `REVOKE ${list(n.granted_roles)
          .map((r) => String((r.AccessPriv as Node)?.priv_name))
          .join(
            ', ',
          )} FROM ${grantees({ grantees: n.grantee_roles }).join(', ')}: whoever relied on that membership loses its privileges from the next query.`,
      );
    if (s.kind === 'AlterTableStmt')
      for (const c of list(n.cmds)) {
        const sub = (c.AlterTableCmd as Node | undefined)?.subtype;
        if (sub === 'AT_DisableRowSecurity')
          add(
            'disable-row-level-security',
            i,
            `ALTER TABLE ${relName(n.relation)} DISABLE ROW LEVEL SECURITY: its policies stop applying, so every role with privileges on the table reads and writes every row.`,
          );
        if (sub === 'AT_NoForceRowSecurity')
          add(
            'disable-row-level-security',
            i,
            `ALTER TABLE ${relName(n.relation)} NO FORCE ROW LEVEL SECURITY: the table's owner is no longer bound by its policies.`,
          );
      }
  });
  for (const d of drops) {
    const again = creates.find((c) => c.i > d.i && sameName(c.sig, d.sig));
    const line = again && f.statements[again.i]!.at.line;
    if (!again)
      add(
        'drop-function',
        d.i,
        `DROP ${d.what} ${show(d.sig)}: callers (the application, views, triggers, other functions) fail once it is gone, and nothing in this file creates it again.`,
      );
    else if (!d.sig.args || d.sig.args.join(',') === again.sig.args?.join(','))
      add(
        'replace-function',
        d.i,
        `${show(d.sig)} is dropped and created again at line ${line}: its grants and comments are lost unless this file gives them back${d.sig.args ? '' : ', and the arguments it had are not named, so a changed signature cannot be ruled out'}.`,
      );
    else
      add(
        'function-signature-change',
        d.i,
        `${show(d.sig)} is dropped and line ${line} creates ${show(again.sig)}: callers passing the old arguments fail.`,
      );
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
