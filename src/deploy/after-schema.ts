/**
 * deploy.yml's keys for what happens around a run (zod, docs/after.md): `notify:` (top level and per environment)
 * and an environment's `after:` actions, a webhook or merging a GitHub pull request. config-schema.ts puts them in
 * its shapes. Every URL, secret and token is named as ${ENV_VAR}. Pure.
 */
import { z } from 'zod';
import { NOTICE_KINDS } from './after-rules.js';
import { durationMs } from './http-check.js';

const ENV_VAR = /^\$\{[A-Z_][A-Z0-9_]*\}$/;
const envVar = (what: string) =>
  z
    .string()
    .regex(
      ENV_VAR,
      `write \${ENV_VAR} and put the ${what} in that environment variable (secrets never go in deploy.yml)`,
    );

const CHANNEL = 'a channel id like C0123ABCD, or "#engineering-alerts" (quoted: # starts a YAML comment)';
const ON = 'each of on: is start, gate, end or critical';
const channel = z.string().regex(/^(#[a-z0-9][a-z0-9._-]{0,79}|[CG][A-Z0-9]{2,})$/, CHANNEL);

/** `notify: ["#engineering-alerts", { channel: C0RELEASES, on: [end] }]`. */
export const notifySchema = z.array(
  z.union(
    [
      channel,
      z.strictObject({
        channel,
        on: z
          .array(z.enum(NOTICE_KINDS, { error: ON }))
          .min(1)
          .optional(),
      }),
    ],
    {
      // An object says what is wrong inside it; anything else gets the two ways to write an entry.
      error: (issue) =>
        (issue.input !== null && typeof issue.input === 'object'
          ? (issue as { errors?: { message: string }[][] }).errors?.[1]?.[0]?.message
          : typeof issue.input === 'string'
            ? CHANNEL
            : undefined) ?? `write a channel (${CHANNEL}) or { channel, on: [start, gate, end, critical] }`,
    },
  ),
);

const webhookSchema = z.strictObject({
  url: envVar('URL'),
  /** The HMAC-SHA256 key the receiver checks X-Migration-Gate-Signature with. */
  secret: envVar('signing secret'),
});

const mergeSchema = z.strictObject({
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'owner/name, e.g. acme/app'),
  number: z.int().min(1),
  method: z.enum(['merge', 'squash', 'rebase']).default('merge'),
  token: envVar('GitHub token'),
});

/** One after: action: a webhook or a pull request to merge, when, gated or not, and how hard to try. */
export const afterActionSchema = z
  .strictObject({
    /** Shown on the card and in the thread instead of the default ("webhook RELEASE_HOOK_URL", "merge acme/app#42"). */
    name: z.string().min(1).max(60).optional(),
    webhook: webhookSchema.optional(),
    mergePullRequest: mergeSchema.optional(),
    on: z.enum(['success', 'failure', 'always']).default('success'),
    gate: z.boolean().default(false),
    retries: z.int().min(0).max(10).default(4),
    retryBackoff: durationMs.default(1000),
    timeout: durationMs.default(10_000),
  })
  .superRefine((a, ctx) => {
    if (!!a.webhook === !!a.mergePullRequest)
      ctx.addIssue({
        code: 'custom',
        message: 'an after: action has exactly one of webhook: or mergePullRequest:',
      });
  });
