/**
 * Prometheus's HTTP API answer to an instant query (`/api/v1/query`), parsed with zod and read as one number.
 * Pure.
 */
import { z } from 'zod';

const point = z.tuple([z.number(), z.string()]);

export const queryAnswerSchema = z.object({
  status: z.enum(['success', 'error']),
  data: z
    .object({
      resultType: z.enum(['vector', 'scalar', 'matrix', 'string']),
      result: z.unknown(),
    })
    .optional(),
  errorType: z.string().optional(),
  error: z.string().optional(),
});

const vectorSchema = z.array(z.object({ metric: z.record(z.string(), z.string()), value: point }));

/** The path and query string of an instant query at the server's own "now". */
export const queryPath = (query: string) => `/api/v1/query?query=${encodeURIComponent(query)}`;

/** Statuses Prometheus answers a query with (400 bad query, 422 cannot be executed): anything else is a failure. */
export const ANSWERED = [200, 400, 422] as const;

/** One number from an answer; an empty or NaN answer is quiet (nothing to judge), anything else says why not. */
export function queryValue(body: string): { value: number } | { unavailable: string } | { quiet: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return {
      unavailable: 'Prometheus answered something that is not JSON (is the URL a Prometheus server?)',
    };
  }
  const parsed = queryAnswerSchema.safeParse(raw);
  if (!parsed.success)
    return { unavailable: 'Prometheus answered JSON of an unknown shape (is the URL a Prometheus server?)' };
  const a = parsed.data;
  if (a.status === 'error')
    return {
      unavailable: `Prometheus refused the query: ${a.errorType ?? 'error'}: ${a.error ?? 'no reason given'}`,
    };
  const data = a.data;
  if (!data) return { unavailable: 'Prometheus answered success without data' };
  let text: string;
  if (data.resultType === 'scalar') {
    const p = point.safeParse(data.result);
    if (!p.success) return { unavailable: 'Prometheus answered a scalar of an unknown shape' };
    text = p.data[1];
  } else if (data.resultType === 'vector') {
    const v = vectorSchema.safeParse(data.result);
    if (!v.success) return { unavailable: 'Prometheus answered a vector of an unknown shape' };
    if (v.data.length === 0)
      return { quiet: 'the query returned no series (no data yet; add `or vector(0)` to read none as 0)' };
    if (v.data.length > 1)
      return {
        unavailable: `the query returned ${v.data.length} series; aggregate it to one number (sum(…), max(…))`,
      };
    text = v.data[0]!.value[1];
  } else
    return {
      unavailable: `the query returned a ${data.resultType}; give an instant query that returns one number (no [5m] at its end)`,
    };
  // Prometheus writes infinities as +Inf and -Inf, which Number() reads as NaN.
  if (/^[+-]Inf$/.test(text)) return { unavailable: `the query returned ${text}` };
  const n = Number(text);
  if (Number.isNaN(n))
    return { quiet: 'the query returned NaN (nothing to divide: no requests in its window?)' };
  if (!Number.isFinite(n)) return { unavailable: `the query returned ${text}` };
  return { value: n };
}
