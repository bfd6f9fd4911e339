/**
 * An after: webhook (docs/after.md): POST the payload as JSON, signed like Slack signs its own requests
 * (X-Migration-Gate-Signature: v0=hex(HMAC-SHA256(secret, "v0:<timestamp>:<body>")) with
 * X-Migration-Gate-Request-Timestamp), with an Idempotency-Key that is the same on every attempt and after a restart.
 * No answer, or a 5xx/408/429, is tried again with backoff, a bounded number of times; any other answer is final.
 * Never called inside a database transaction; failures are sentences that name the variable, never the URL.
 */
import { createHmac } from 'node:crypto';
import type { AfterAction, WebhookDo } from '../config-after.js';
import {
  type AfterAttempt,
  type AfterResult,
  retryable,
  retryDelayMs,
  signedText,
  type WebhookPayload,
} from '../deploy/after-results.js';
import { describeRequestError } from '../target/http.js';

export const SIGNATURE_HEADER = 'x-migration-gate-signature';
export const TIMESTAMP_HEADER = 'x-migration-gate-request-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** The signature header's value for `body` sent at `timestamp` (seconds). */
export const signature = (secret: string, timestamp: number, body: string) =>
  `v0=${createHmac('sha256', secret).update(signedText(timestamp, body)).digest('hex')}`;

export interface Io {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

export async function sendWebhook(
  a: AfterAction,
  hook: WebhookDo,
  payload: WebhookPayload,
  io: Io,
): Promise<AfterResult> {
  const body = JSON.stringify(payload);
  const name = `the webhook (${hook.urlVar})`;
  const attempts: AfterAttempt[] = [];
  const result = (ok: boolean, sentence: string): AfterResult => ({
    kind: 'webhook',
    label: a.label,
    ok,
    sentence,
    attempts,
    tries: attempts.length,
    idempotencyKey: payload.idempotencyKey,
  });
  for (let n = 1; n <= a.retries + 1; n++) {
    if (n > 1) await io.sleep(retryDelayMs(n - 1, a.retryBackoffMs));
    const sent = io.now();
    const timestamp = Math.floor(sent.getTime() / 1000);
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'migration-gate',
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signature(hook.secret, timestamp, body),
          [IDEMPOTENCY_HEADER]: payload.idempotencyKey,
        },
        body,
        // A redirect would turn the POST into a GET elsewhere: it is an answer, not followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(a.timeoutMs),
      });
      await res.body?.cancel().catch(() => {});
      const status = res.status;
      if (status >= 200 && status < 300) {
        attempts.push({ what: 'POST', at: sent.toISOString(), ms: took(), status });
        return result(true, `Delivered: the receiver answered HTTP ${status}.`);
      }
      const again = retryable(status);
      attempts.push({
        what: 'POST',
        at: sent.toISOString(),
        ms: took(),
        status,
        error: `the receiver answered HTTP ${status}`,
      });
      if (!again)
        return result(
          false,
          `The receiver refused the webhook with HTTP ${status}: check what it expects (its URL is ${hook.urlVar}, its secret ${hook.secretVar}); it was not sent again.`,
        );
    } catch (e) {
      const error = describeRequestError(name, { url: hook.url, variable: hook.urlVar }, e, a.timeoutMs);
      attempts.push({ what: 'POST', at: sent.toISOString(), ms: took(), error });
    }
  }
  const last = attempts.at(-1)?.error ?? 'no answer';
  return result(
    false,
    `Not delivered after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'} (the last: ${last.replace(/\.$/, '')}). Each carried the same Idempotency-Key, ${payload.idempotencyKey}.`,
  );
}
