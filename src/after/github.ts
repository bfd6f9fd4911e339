/**
 * An after: action that merges a GitHub pull request (docs/after.md): each try first reads the pull request
 * (`GET /repos/{owner}/{repo}/pulls/{number}`): merged already, it is done (so a restarted bot never merges twice);
 * closed or not mergeable, it stops with a sentence; GitHub still working it out, it tries again; mergeable, it
 * merges (`PUT …/merge` with the merge method and the head sha it checked). No answer, or a 5xx, is tried again with
 * backoff, a bounded number of times. The base URL is GITHUB_API_URL (default https://api.github.com). Never called
 * inside a database transaction.
 */
import type { AfterAction, MergeDo } from '../config-after.js';
import {
  type AfterAttempt,
  type AfterResult,
  githubRefusal,
  judgePull,
  pullSchema,
  retryable,
  retryDelayMs,
} from '../deploy/after-results.js';
import { describeRequestError } from '../target/http.js';
import type { Io } from './webhook.js';

type Answer = { status: number; body: unknown } | { error: string };

export async function mergePull(a: AfterAction, m: MergeDo, io: Io): Promise<AfterResult> {
  const label = `${m.repository}#${m.number}`;
  const base = `${m.apiUrl.replace(/\/+$/, '')}/repos/${m.repository}/pulls/${m.number}`;
  const attempts: AfterAttempt[] = [];
  let tries = 0;
  const result = (ok: boolean, sentence: string, more: Partial<AfterResult> = {}): AfterResult => ({
    kind: 'merge',
    label: a.label,
    ok,
    sentence,
    attempts,
    tries,
    ...more,
  });

  async function call(what: 'check' | 'merge', method: string, url: string, body?: unknown): Promise<Answer> {
    const at = io.now().toISOString();
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const res = await fetch(url, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${m.token}`,
          'x-github-api-version': '2022-11-28',
          'user-agent': 'migration-gate',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(a.timeoutMs),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      const ok = res.status >= 200 && res.status < 300;
      attempts.push({
        what,
        at,
        ms: ms(),
        status: res.status,
        ...(ok ? {} : { error: `GitHub answered HTTP ${res.status}` }),
      });
      return { status: res.status, body: parsed };
    } catch (e) {
      const error = describeRequestError('GitHub', { url, variable: 'GITHUB_API_URL' }, e, a.timeoutMs);
      attempts.push({ what, at, ms: ms(), error });
      return { error };
    }
  }

  /** One try: done (a result), or try again (why). */
  async function once(): Promise<AfterResult | string> {
    const got = await call('check', 'GET', base);
    if ('error' in got) return got.error;
    if (got.status !== 200)
      return retryable(got.status)
        ? `GitHub answered HTTP ${got.status}`
        : result(false, githubRefusal(label, got.status, got.body, m.tokenVar));
    const pull = pullSchema.safeParse(got.body);
    if (!pull.success)
      return result(false, `GitHub's answer about ${label} is not a pull request: nothing was merged.`);
    const judged = judgePull(label, pull.data);
    if (judged.do === 'done')
      return result(true, `${label} was already merged; it was not merged again.`, {
        already: true,
        ...(judged.sha ? { sha: judged.sha } : {}),
      });
    if (judged.do === 'stop') return result(false, judged.why);
    if (judged.do === 'wait') return judged.why;
    const merged = await call('merge', 'PUT', `${base}/merge`, { merge_method: m.method, sha: judged.sha });
    if ('error' in merged) return merged.error;
    const sha = (merged.body as { sha?: unknown } | undefined)?.sha;
    if (merged.status === 200)
      return result(
        true,
        `Merged ${label} (${m.method})${typeof sha === 'string' ? ` as ${sha.slice(0, 7)}` : ''}.`,
        {
          ...(typeof sha === 'string' ? { sha } : {}),
        },
      );
    // 409: its head moved since the check: check again. A fault on GitHub's side: try again.
    if (merged.status === 409 || retryable(merged.status))
      return `GitHub answered HTTP ${merged.status} to the merge`;
    return result(false, githubRefusal(label, merged.status, merged.body, m.tokenVar));
  }

  let why = '';
  for (let n = 1; n <= a.retries + 1; n++) {
    if (n > 1) await io.sleep(retryDelayMs(n - 1, a.retryBackoffMs));
    tries = n;
    const r = await once();
    if (typeof r !== 'string') return r;
    why = r;
  }
  return result(
    false,
    `${label} was not merged after ${tries} attempt${tries === 1 ? '' : 's'} (the last: ${why.replace(/\.$/, '')}). Merge it on GitHub, or start the run again.`,
  );
}
