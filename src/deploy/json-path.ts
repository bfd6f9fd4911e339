/**
 * A small JSON path: `$.status`, `$.checks.database.ok`, `$.items[0].count`, `$.items[-1]`, `$["a key"]`.
 * The leading `$` may be left out (`status`, `queue.depth`). No wildcards or filters: a path names one value. Pure.
 */

export type PathStep = string | number;

const NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*/;
const INDEX = /^\[(-?\d+)\]/;
const QUOTED = /^\[(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\]/;

/** The steps of a path, or a sentence saying what is wrong with it. */
export function parseJsonPath(
  text: string,
): { ok: true; steps: PathStep[] } | { ok: false; problem: string } {
  let rest = text.trim();
  if (rest.startsWith('$')) rest = rest.slice(1);
  else if (rest && !rest.startsWith('[') && !rest.startsWith('.')) rest = `.${rest}`;
  const steps: PathStep[] = [];
  while (rest) {
    if (rest.startsWith('.')) {
      const m = NAME.exec(rest.slice(1));
      if (!m) return { ok: false, problem: `expected a key after "." at "${rest}"` };
      steps.push(m[0]);
      rest = rest.slice(1 + m[0].length);
      continue;
    }
    const i = INDEX.exec(rest);
    if (i) {
      steps.push(Number(i[1]));
      rest = rest.slice(i[0].length);
      continue;
    }
    const q = QUOTED.exec(rest);
    if (q) {
      steps.push((q[1] ?? q[2] ?? '').replace(/\\(.)/g, '$1'));
      rest = rest.slice(q[0].length);
      continue;
    }
    return { ok: false, problem: `cannot read "${rest}": write keys as .name or ["name"] and items as [0]` };
  }
  return { ok: true, steps };
}

/** The value a path names in `value`, or where it stopped. */
export function readJsonPath(
  value: unknown,
  steps: readonly PathStep[],
): { found: true; value: unknown } | { found: false; missing: string } {
  let at: unknown = value;
  let walked = '$';
  for (const step of steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(at)) return { found: false, missing: `${walked} is not a list` };
      const i = step < 0 ? at.length + step : step;
      if (i < 0 || i >= at.length) return { found: false, missing: `${walked} has no item [${step}]` };
      at = at[i];
      walked += `[${step}]`;
    } else {
      if (!at || typeof at !== 'object' || Array.isArray(at) || !(step in at))
        return { found: false, missing: `${walked} has no key "${step}"` };
      at = (at as Record<string, unknown>)[step];
      walked += `.${step}`;
    }
  }
  return { found: true, value: at };
}
