/**
 * The expectation language of checks: what a query's result must look like. Pure.
 *
 *   expect: 0              the single value equals 0        expect: "> 0" / ">= 45" / "!= 3" / "between 1 and 5"
 *   expect: jsonb          the single value's text          expect: "/^atomic_/"   a regular expression
 *   expect: true           a boolean                        expect: empty          no rows
 *   expect: { rows: 2 }    the number of rows               expect: { json: {...} } the value parsed as JSON equals
 *   expect: { contains: {...} } the JSON value contains     expect: [[1, "a"], [2, "b"]]  exactly these rows
 */
import { z } from 'zod';

const json: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]),
);

export const expectationSchema = z.union([
  z.number(),
  z.boolean(),
  z.string().min(1),
  z.strictObject({ rows: z.union([z.int().min(0), z.string().min(1)]) }),
  z.strictObject({ json }),
  z.strictObject({ contains: json }),
  z.array(z.union([z.array(json), z.record(z.string(), json)])),
]);

export type Expectation = z.infer<typeof expectationSchema>;

/** What a query returned: column names and rows as arrays (values as node-postgres parses them). */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface Verdict {
  readonly pass: boolean;
  /** The target as a person reads it: "> 0", "= 5", "no rows". */
  readonly target: string;
  /** What was measured, short: "5", "3 rows", "NULL". */
  readonly actual: string;
  /** When the expectation itself cannot apply (e.g. 3 columns for a single-value test). */
  readonly problem?: string;
}

const COMPARE = /^\s*(>=|<=|!=|<>|=|>|<)\s*(-?\d+(?:\.\d+)?)\s*(%?)\s*$/;
const BETWEEN = /^\s*between\s+(-?\d+(?:\.\d+)?)\s+and\s+(-?\d+(?:\.\d+)?)\s*$/i;
const REGEX = /^\/(.+)\/([imsu]*)$/;

/** Check a number against "> 0", ">= 45", "between 1 and 5", or an exact number. Exported for thresholds. */
export function compareNumber(actual: number, spec: string | number): boolean | undefined {
  if (typeof spec === 'number') return actual === spec;
  const m = COMPARE.exec(spec);
  if (m) {
    const n = Number(m[2]);
    switch (m[1]) {
      case '>':
        return actual > n;
      case '>=':
        return actual >= n;
      case '<':
        return actual < n;
      case '<=':
        return actual <= n;
      case '=':
        return actual === n;
      default:
        return actual !== n;
    }
  }
  const b = BETWEEN.exec(spec);
  if (b) return actual >= Number(b[1]) && actual <= Number(b[2]);
  return undefined;
}

export function display(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object' && !(v instanceof Date))
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, x]) => [k, normalize(x)]),
    );
  const n = asNumber(v);
  return n !== undefined && typeof v !== 'boolean' ? n : v instanceof Date ? v.toISOString() : v;
}

function contains(actual: unknown, expected: unknown): boolean {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  }
  if (Array.isArray(expected))
    return Array.isArray(actual) && expected.every((e) => actual.some((a) => contains(a, e)));
  return deepEqual(actual, expected);
}

/** Judge a query result against an expectation. */
export function evaluate(expectation: Expectation, result: QueryResult): Verdict {
  const count = result.rows.length;
  const rowsText = `${count} ${count === 1 ? 'row' : 'rows'}`;
  if (expectation === 'empty') return { pass: count === 0, target: 'no rows', actual: rowsText };
  if (Array.isArray(expectation)) {
    const actualRows = result.rows.map((r) =>
      Array.isArray(expectation[0]) ? r : Object.fromEntries(result.columns.map((c, i) => [c, r[i]])),
    );
    return {
      pass: deepEqual(actualRows, expectation),
      target: clip(`rows ${JSON.stringify(expectation)}`),
      actual: clip(JSON.stringify(normalize(actualRows))),
    };
  }
  if (typeof expectation === 'object' && 'rows' in expectation) {
    const ok = compareNumber(count, expectation.rows);
    return ok === undefined
      ? {
          pass: false,
          target: String(expectation.rows),
          actual: rowsText,
          problem: `"${expectation.rows}" is not a comparison`,
        }
      : {
          pass: ok,
          target: `rows ${typeof expectation.rows === 'number' ? `= ${expectation.rows}` : expectation.rows}`,
          actual: rowsText,
        };
  }
  // Every other form is about one value: one row, one column.
  if (count !== 1 || result.columns.length !== 1)
    return {
      pass: false,
      target: typeof expectation === 'object' ? clip(JSON.stringify(expectation)) : String(expectation),
      actual: `${rowsText} × ${result.columns.length} columns`,
      problem: 'this expectation needs exactly one row with one column',
    };
  const value = result.rows[0]![0];
  const actual = clip(display(value));
  if (typeof expectation === 'object') {
    if ('json' in expectation)
      return {
        pass: deepEqual(parseJson(value), expectation.json),
        target: clip(JSON.stringify(expectation.json)),
        actual,
      };
    return {
      pass: contains(parseJson(value), expectation.contains),
      target: clip(`contains ${JSON.stringify(expectation.contains)}`),
      actual,
    };
  }
  if (typeof expectation === 'boolean')
    return { pass: value === expectation, target: String(expectation), actual };
  if (typeof expectation === 'number') {
    const n = asNumber(value);
    return { pass: n === expectation, target: `= ${expectation}`, actual };
  }
  const regex = REGEX.exec(expectation);
  if (regex)
    return {
      pass: new RegExp(regex[1]!, regex[2]).test(display(value)),
      target: `matches ${expectation}`,
      actual,
    };
  const n = asNumber(value);
  const cmp = n === undefined ? undefined : compareNumber(n, expectation);
  if (cmp !== undefined) return { pass: cmp, target: expectation.trim(), actual };
  if (COMPARE.test(expectation) || BETWEEN.test(expectation))
    return { pass: false, target: expectation.trim(), actual, problem: 'the value is not a number' };
  return { pass: display(value) === expectation, target: `= ${clip(expectation)}`, actual };
}
