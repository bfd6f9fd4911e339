/**
 * Where a problem in deploy.yml is, as file:line:column: the text is parsed with the `yaml` package's LineCounter,
 * and a problem's path (`environments[0].database: …`, as config-error.ts writes it) is walked down the parsed
 * document to the key it names, or to the nearest place above it that exists (a missing key: its parent).
 */
import { isAbsolute, relative } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export type YamlRead =
  | { ok: true; value: unknown; at: (path: readonly (string | number)[]) => Position }
  | { ok: false; errors: { at: Position; message: string }[] };

/** Parse deploy.yml's text; every syntax error with its line and column. */
export function readYaml(text: string): YamlRead {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length)
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        at: lines.linePos(e.pos[0]),
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
      })),
    };
  return { ok: true, value: doc.toJS(), at: (path) => lines.linePos(offsetOf(doc, path)) };
}

/** The offset of the key (or list item) `path` names; as far down as the document goes. */
function offsetOf(doc: Document, path: readonly (string | number)[]): number {
  let node: unknown = doc.contents;
  let at = doc.contents?.range?.[0] ?? 0;
  let i = 0;
  while (i < path.length) {
    const seg = path[i]!;
    if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) break;
      node = item;
      at = (item as { range?: [number] }).range?.[0] ?? at;
      i++;
      continue;
    }
    if (!isMap(node)) break;
    const map = node;
    // A key may hold dots (a setting such as app.tenant): try the longest run of segments first.
    let found = false;
    for (let k = path.length - i; k >= 1 && !found; k--) {
      const name = path.slice(i, i + k).join('.');
      const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
      if (!pair) continue;
      at = (pair.key as { range?: [number] }).range?.[0] ?? at;
      node = pair.value;
      i += k;
      found = true;
    }
    if (!found) break;
  }
  return at;
}

/**
 * The path a problem line starts with (`environments[0].approvals[1].count: …` → environments, 0, approvals, 1,
 * count); an unknown key's problem points at the first unknown key. Undefined when the line names no path.
 */
export function problemPath(problem: string): (string | number)[] | undefined {
  const colon = problem.indexOf(': ');
  if (colon <= 0) return undefined;
  const head = problem.slice(0, colon);
  const path =
    head === '(top level)'
      ? []
      : (head.match(/\[\d+\]|[^.[\]]+/g) ?? []).map((t) =>
          /^\[\d+\]$/.test(t) ? Number(t.slice(1, -1)) : t,
        );
  const unknown = /^unknown key\(s\) "([^"]+)"/.exec(problem.slice(colon + 2));
  return unknown ? [...path, unknown[1]!] : path;
}

/** How a file is named in a problem line: relative to the working directory when inside it (editors link it). */
export function fileLabel(source: string): string {
  const r = relative(process.cwd(), source);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : source;
}

/** `deploy.yml:12:5: environments[0].database: …` (the line unchanged when it names no path). */
export function locateProblem(read: Extract<YamlRead, { ok: true }>, label: string, problem: string): string {
  const path = problemPath(problem);
  if (!path) return problem;
  const { line, col } = read.at(path);
  return `${label}:${line}:${col}: ${problem}`;
}
