/**
 * Requests to the application and to Prometheus, timed, with failures said in a sentence that names the URL's
 * name in deploy.yml and its variable, never the host (the URL lives in an environment variable: a secret).
 * Never called inside a database transaction.
 */
import type { EnvUrl } from '../config.js';
import type { Verdict } from '../deploy/expectations.js';
import { type HttpAnswer, type HttpCheckPlan, type HttpRequest, judgeHttp } from '../deploy/http-check.js';
import { connectFailureOf } from './connect-errors.js';

/** Answers longer than this are cut (a health or stats answer is small; a runaway one must not fill memory). */
const MAX_BODY = 1_048_576;

/** A request that got no answer (the service could not be reached, or did not answer in time), as a sentence. */
export class RequestFailed extends Error {}

/** `base` + `path`: the path (and query) written in the check goes after the URL's own path. */
export function joinUrl(base: string, path: string): URL {
  const u = new URL(base);
  const [p, q] = path.split(/\?(.*)/s, 2);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${p}`;
  if (q !== undefined) u.search = q;
  return u;
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_BODY) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8');
}

/** Why a request failed, without the host: by the kind of failure (from the error codes), never its message. */
export function describeRequestError(
  name: string,
  url: EnvUrl | undefined,
  e: unknown,
  timeoutMs: number,
): string {
  const check = url ? ` Check ${url.variable}.` : '';
  const err = e as { name?: string; code?: string; cause?: { code?: string } };
  const code = err?.cause?.code ?? err?.code;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError')
    return `${name} did not answer within ${Math.round(timeoutMs)} ms.`;
  if (code === 'UND_ERR_SOCKET') return `${name} closed the connection before answering.`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `${name} did not accept the connection in time.${check}`;
  switch (connectFailureOf(e)) {
    case 'refused':
      return `${name} refused the connection: is the service running?${check}`;
    case 'unresolved':
      return `${name}'s host name cannot be resolved.${check}`;
    case 'unreachable':
      return `${name} cannot be reached from the bot (no network route).${check}`;
    case 'timeout':
      return `${name} did not answer in time.${check}`;
    case 'closed':
      return `${name} closed the connection before answering.`;
    case 'tls':
      return `the TLS connection to ${name} failed (its certificate?).${check}`;
  }
  return `the request to ${name} failed${typeof code === 'string' && /^[A-Z_]+$/.test(code) ? ` (${code})` : ''}.${check}`;
}

/**
 * Send `r` to the environment's URL named `r.url`; the answer is read whole (up to 1 MiB) before the clock stops.
 * Throws RequestFailed, a sentence, when there is no answer.
 */
export async function send(
  urls: Readonly<Record<string, EnvUrl>> | undefined,
  r: HttpRequest,
  timeoutMs: number,
  headers: Readonly<Record<string, string>> = {},
): Promise<HttpAnswer> {
  const base = urls?.[r.url];
  if (!base)
    throw new RequestFailed(
      `there is no URL named ${r.url} for this environment: add it to the environment's urls: in deploy.yml (${r.url}: \${SOME_VARIABLE}).`,
    );
  const started = performance.now();
  try {
    const res = await fetch(joinUrl(base.url, r.path), {
      method: r.method,
      headers: {
        accept: 'application/json',
        'user-agent': 'migration-gate',
        ...(r.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: r.body !== undefined ? JSON.stringify(r.body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = r.method === 'HEAD' ? '' : await readCapped(res);
    return { status: res.status, ms: performance.now() - started, body };
  } catch (e) {
    throw new RequestFailed(describeRequestError(r.url, base, e, timeoutMs));
  }
}

/** An http check: send it, then judge the status, the time and the JSON value. */
export async function runHttpCheck(
  urls: Readonly<Record<string, EnvUrl>> | undefined,
  plan: HttpCheckPlan,
  timeoutMs: number,
): Promise<Verdict> {
  return judgeHttp(plan, await send(urls, plan, timeoutMs));
}
