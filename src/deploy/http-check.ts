/**
 * The application's own answers: an HTTP request a check sends (`GET /health → 200 within 500 ms`) or a metric
 * reads, its zod shape, and how an answer is judged. The URL's base comes from the environment's `urls:` in
 * deploy.yml (each from an environment variable): only its name and the path written here are ever shown. Pure.
 */
import { z } from 'zod';
import { type Expectation, evaluate, type Verdict } from './expectations.js';
import { parseJsonPath, readJsonPath } from './json-path.js';

export const URL_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/** The name of a base URL in the environment's `urls:` (deploy.yml). */
export const urlName = z
  .string({ error: "the name of a URL in the environment's urls: in deploy.yml, like community" })
  .regex(URL_NAME, "the name of a URL in the environment's urls: in deploy.yml, like community");

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

/** 500ms, 2s, 1m or a number of milliseconds, as milliseconds. */
export const durationMs = z
  .union([z.int().positive(), z.string().regex(/^\d+(ms|s|m)$/, 'a duration like 500ms, 5s or 1m')])
  .transform((t) =>
    typeof t === 'number'
      ? t
      : Number.parseInt(t, 10) * (t.endsWith('ms') ? 1 : t.endsWith('m') ? 60_000 : 1000),
  );

export const jsonPathText = z.string().superRefine((t, ctx) => {
  const p = parseJsonPath(t);
  if (!p.ok)
    ctx.addIssue({
      code: 'custom',
      message: `not a JSON path (${p.problem}); write it like $.status or $.checks[0].ok`,
    });
});

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

const httpStatus = z
  .int('an HTTP status like 200')
  .min(100, 'an HTTP status, from 100 to 599')
  .max(599, 'an HTTP status, from 100 to 599');

/** What every request has: method, which URL, the path, the statuses that count as an answer, a JSON path. */
export const requestShape = {
  method: z
    .preprocess(
      (v) => (typeof v === 'string' ? v.toUpperCase() : v),
      z.enum(METHODS, { error: `one of ${METHODS.join(', ')}` }),
    )
    .default('GET'),
  url: urlName,
  path: z
    .string()
    .regex(/^\/[^\s#]*$/, 'a path starting with /, like /health or /api/status?verbose=1')
    .default('/'),
  status: z
    .union([httpStatus, z.array(httpStatus).min(1)], {
      error: 'an HTTP status like 200, or a list like [200, 204]',
    })
    .default(200),
  /** Where in the JSON answer the value is. */
  json: jsonPathText.optional(),
  /** Sent as JSON (POST, PUT, PATCH, DELETE). */
  body: jsonValue.optional(),
};

const noBodyOnGet = (r: { method: Method; body?: unknown }, ctx: z.RefinementCtx) => {
  if (r.body !== undefined && (r.method === 'GET' || r.method === 'HEAD'))
    ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${r.method} request sends no body` });
};

/** A check's `http:` key. */
export const httpCheckSchema = z
  .strictObject({ ...requestShape, within: durationMs.optional() })
  .superRefine(noBodyOnGet);

/** A metric's `http:` key: a number read from the answer by `json:` (without it, the answer's time in ms). */
export const httpMetricSchema = z
  .strictObject({ ...requestShape, timeout: durationMs.optional() })
  .superRefine(noBodyOnGet);

export interface HttpRequest {
  readonly method: Method;
  /** The name in the environment's urls. */
  readonly url: string;
  readonly path: string;
  readonly status: readonly number[];
  readonly json?: string;
  readonly body?: unknown;
}

export interface HttpCheckPlan extends HttpRequest {
  readonly kind: 'http';
  readonly withinMs?: number;
  readonly expect?: Expectation;
}

/** What a request got: its status, how long it took until the whole answer was read, and the answer. */
export interface HttpAnswer {
  readonly status: number;
  readonly ms: number;
  readonly body: string;
}

export const toRequest = (
  r: z.infer<typeof httpCheckSchema> | z.infer<typeof httpMetricSchema>,
): HttpRequest => ({
  method: r.method,
  url: r.url,
  path: r.path,
  status: Array.isArray(r.status) ? r.status : [r.status],
  ...(r.json !== undefined ? { json: r.json } : {}),
  ...(r.body !== undefined ? { body: r.body } : {}),
});

/** A request that may change something (anything but GET and HEAD): on command it runs only with onDemandWrites. */
export const writes = (r: HttpRequest) => r.method !== 'GET' && r.method !== 'HEAD';

/** `GET /health`: the method and the path as written, never the host. */
export const requestText = (r: HttpRequest) => `${r.method} ${r.path}`;

const statusText = (s: readonly number[]) => s.join(' or ');
const msText = (ms: number) => `${Math.round(ms)} ms`;

/** "GET /health → 200 within 500 ms": what the check wants, as people read it. */
export function httpTarget(p: HttpCheckPlan): string {
  return `${requestText(p)} → ${statusText(p.status)}${p.withinMs !== undefined ? ` within ${msText(p.withinMs)}` : ''}`;
}

/** The value at the request's JSON path, or why there is none. */
export function jsonAt(r: HttpRequest, body: string): { value: unknown } | { missing: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { missing: 'the answer is not JSON' };
  }
  const path = parseJsonPath(r.json ?? '$');
  if (!path.ok) return { missing: path.problem };
  const found = readJsonPath(parsed, path.steps);
  return found.found ? { value: found.value } : { missing: found.missing };
}

/** Judge an answer: the status, then the time limit, then the value at the JSON path. */
export function judgeHttp(p: HttpCheckPlan, a: HttpAnswer): Verdict {
  const target = httpTarget(p);
  const got = `${a.status} in ${msText(a.ms)}`;
  if (!p.status.includes(a.status)) return { pass: false, target, actual: got };
  if (p.withinMs !== undefined && a.ms > p.withinMs)
    return { pass: false, target, actual: `${got}, over the ${msText(p.withinMs)} limit` };
  if (p.json === undefined || p.expect === undefined) return { pass: true, target, actual: got };
  const at = jsonAt(p, a.body);
  if ('missing' in at)
    return {
      pass: false,
      target: `${target}, ${p.json} ${typeof p.expect === 'object' ? JSON.stringify(p.expect) : String(p.expect)}`,
      actual: `${got}; ${at.missing}`,
    };
  const value = at.value !== null && typeof at.value === 'object' ? JSON.stringify(at.value) : at.value;
  const v = evaluate(p.expect, { columns: [p.json], rows: [[value]] });
  return {
    pass: v.pass,
    target: `${target}, ${p.json} ${v.target}`,
    actual: `${got}, ${p.json}: ${v.actual}`,
    ...(v.problem ? { problem: v.problem } : {}),
  };
}
