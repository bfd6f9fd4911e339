/**
 * An after: action's request and result (docs/after.md): what a webhook carries, when a failed attempt is tried
 * again, what GitHub's answers about a pull request mean, and what the step stores (zod-checked when read back).
 * Pure: the requests are sent by src/after/.
 */
import { z } from 'zod';
import { schemaOf } from './stored.js';
import type { AfterOutcome } from './types.js';

export interface AfterAttempt {
  /** Which request: the webhook's POST, or GitHub's "check" (the pull request's state) and "merge". */
  readonly what: 'POST' | 'check' | 'merge';
  readonly at: string;
  readonly ms: number;
  /** The HTTP status of the answer (none: no answer). */
  readonly status?: number;
  /** Why it did not do (a sentence, never a host or URL). */
  readonly error?: string;
}

export interface AfterResult {
  readonly kind: 'webhook' | 'merge';
  readonly label: string;
  readonly ok: boolean;
  /** What happened, in one sentence (why not, and what to do, when it failed). */
  readonly sentence: string;
  /** Every request sent, in order. */
  readonly attempts: readonly AfterAttempt[];
  /** How many times the action was tried (a merge's try is a check, then the merge when it can be merged). */
  readonly tries: number;
  /** A webhook: the Idempotency-Key header every attempt carried. */
  readonly idempotencyKey?: string;
  /** A merge: the merge commit GitHub made (or that merged it before). */
  readonly sha?: string;
  /** A merge: GitHub said it was merged already (by a person, or by this action before the bot restarted). */
  readonly already?: boolean;
}

export const afterResultSchema = schemaOf<AfterResult>()(
  z.object({
    kind: z.enum(['webhook', 'merge']),
    label: z.string(),
    ok: z.boolean(),
    sentence: z.string(),
    attempts: z.array(
      z.object({
        what: z.enum(['POST', 'check', 'merge']),
        at: z.string(),
        ms: z.number(),
        status: z.number().optional(),
        error: z.string().optional(),
      }),
    ),
    tries: z.int(),
    idempotencyKey: z.string().optional(),
    sha: z.string().optional(),
    already: z.boolean().optional(),
  }),
);

/** How long to wait before attempt `n + 1` (n ≥ 1) when attempt n failed: `backoffMs`, doubling, at most 5 minutes. */
export const retryDelayMs = (n: number, backoffMs: number) => Math.min(backoffMs * 2 ** (n - 1), 300_000);

/** Whether an answer with this status is worth trying again (a fault on the receiver's side, or "slow down"). */
export const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

/** What a webhook POSTs (JSON): the same body on every attempt. */
export interface WebhookPayload {
  readonly type: 'migration-gate.after';
  readonly runId: number;
  readonly migration: string;
  readonly environment: string;
  readonly outcome: AfterOutcome;
  /** The files this run applied on the environment, in order. */
  readonly files: readonly string[];
  /** The run's thread in Slack (absent when Slack gave no link). */
  readonly link?: string;
  readonly idempotencyKey: string;
}

/** The string a webhook's signature is the HMAC-SHA256 of, as Slack signs its own requests: v0:<ts>:<body>. */
export const signedText = (timestamp: number, body: string) => `v0:${timestamp}:${body}`;

/** What the bot reads of GitHub's `GET /repos/{owner}/{repo}/pulls/{number}`. */
export const pullSchema = z.object({
  state: z.string(),
  merged: z.boolean().optional(),
  mergeable: z.boolean().nullable().optional(),
  mergeable_state: z.string().optional(),
  merge_commit_sha: z.string().nullable().optional(),
  head: z.object({ sha: z.string() }),
});
export type Pull = z.infer<typeof pullSchema>;

/** What a pull request's state says to do: it is merged already, merge it, ask again, or stop (a sentence). */
export function judgePull(
  label: string,
  p: Pull,
):
  | { do: 'done'; sha?: string }
  | { do: 'merge'; sha: string }
  | { do: 'wait'; why: string }
  | { do: 'stop'; why: string } {
  if (p.merged) return { do: 'done', ...(p.merge_commit_sha ? { sha: p.merge_commit_sha } : {}) };
  if (p.state !== 'open')
    return { do: 'stop', why: `${label} is ${p.state} without being merged: nothing was merged.` };
  if (p.mergeable === false)
    return {
      do: 'stop',
      why: `GitHub says ${label} cannot be merged${p.mergeable_state ? ` (mergeable_state: ${p.mergeable_state})` : ''}: resolve it on GitHub (conflicts, required checks or reviews), then merge it there.`,
    };
  if (p.mergeable !== true)
    return { do: 'wait', why: 'GitHub had not yet worked out whether it can be merged.' };
  return { do: 'merge', sha: p.head.sha };
}

/** GitHub's answer to a request it refused, in a sentence: its status and its own message, never the URL. */
export function githubRefusal(label: string, status: number, body: unknown, tokenVar: string): string {
  const message = (body as { message?: unknown } | null)?.message;
  const said = typeof message === 'string' && message ? `: "${message.slice(0, 200)}"` : '';
  if (status === 401 || status === 403)
    return `GitHub refused the token (HTTP ${status}${said}): check that ${tokenVar} is set to a token that may merge ${label}.`;
  if (status === 404)
    return `GitHub has no pull request ${label} that the token can see (HTTP 404): check the repository, the number and ${tokenVar}'s access.`;
  if (status === 405)
    return `GitHub would not merge ${label} (HTTP 405${said}): merge it on GitHub once it can be merged.`;
  return `GitHub answered HTTP ${status}${said} about ${label}.`;
}

/** The step's one line on the card and the reason a failure gives. */
export function afterSummary(r: AfterResult): { summary: string; reason?: string } {
  const tries = r.tries > 1 ? ` after ${r.tries} attempts` : '';
  if (!r.ok) return { summary: `${r.label}: failed${tries}`, reason: r.sentence };
  if (r.kind === 'webhook') return { summary: `${r.label}: delivered${tries}` };
  return { summary: `${r.label}: ${r.already ? 'already merged' : 'merged'}${tries}` };
}
