/**
 * What a button (or the reason modal) carries back to the bot: defined, encoded and decoded here, and nowhere else.
 *
 * The wire format is the one cards already posted in Slack carry, so they keep working: a JSON string
 * `{"r":<run>,"i":<step or alert>,"d":<digest>}`; the reason modal's private metadata adds `decision` and `channel`.
 * Decoding is zod at the edge (register.ts); a refusal names the part that was wrong ("its run number is not a
 * number"), which `why()` turns into the sentence the user reads.
 */
import { z } from 'zod';

/** A step of a run, and the digest of the checksums the card was drawn for ('' when the button does not care). */
export interface StepRef {
  readonly run: number;
  readonly step: number;
  readonly digest: string;
}

/** A critical alert of a run (Acknowledge / Keep watching). */
export interface AlertRef {
  readonly run: number;
  readonly alert: number;
}

/** What the reason modal (Reject / Approve with conditions) keeps until it is submitted. */
export interface ReasonRef extends StepRef {
  readonly decision: 'reject' | 'conditions';
  readonly channel: string;
}

/** The Cancel button names the run only: its step is this. */
export const NO_STEP = -1;

declare const encoded: unique symbol;
/** A button value made here; `button()` takes nothing else. */
export type RefValue = string & { readonly [encoded]: true };

export const encodeStepRef = (ref: StepRef): RefValue =>
  JSON.stringify({ r: ref.run, i: ref.step, d: ref.digest }) as RefValue;

/** Today's alert buttons put the alert id where a step goes, with no digest. */
export const encodeAlertRef = (ref: AlertRef): RefValue =>
  JSON.stringify({ r: ref.run, i: ref.alert, d: '' }) as RefValue;

export const encodeReasonRef = (ref: ReasonRef): string =>
  JSON.stringify({
    r: ref.run,
    i: ref.step,
    d: ref.digest,
    decision: ref.decision,
    channel: ref.channel,
  });

/** Slack's ids (users, channels) are upper-case letters and digits; anything else was not sent by Slack. */
export const slackId = (what: string) =>
  z.string().regex(/^[A-Z0-9]{2,40}$/, `its ${what} is not one Slack sends`);

/** The largest run number (and alert id) PostgreSQL's integer holds. */
const INT_MAX = 2_147_483_647;
const wire = z.object({
  r: z
    .int('its run number is not a number')
    .positive('its run number is not a run number')
    .max(
      INT_MAX,
      `it names a run number no run can have: run numbers stop at ${INT_MAX.toLocaleString('en-US')}`,
    ),
  i: z
    .int('its step is not a number')
    .min(-1, 'its step is not a step')
    .max(INT_MAX, 'its step is not a step'),
  d: z
    .string()
    .max(64)
    .regex(/^[\x20-\x7e]*$/, 'its card version is not one the bot writes'),
});

/** A JSON string holding what `schema` accepts; each of the schema's refusals is kept. */
const jsonOf = <T extends z.ZodType>(schema: T) =>
  z.string().transform((s, ctx) => {
    let raw: unknown;
    try {
      raw = JSON.parse(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'it is not JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data as z.infer<T>;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  });

/** A button value naming a step (gate and run-card buttons). */
export const stepRefValue = jsonOf(wire).transform((v): StepRef => ({ run: v.r, step: v.i, digest: v.d }));

/** A button value naming an alert (an alert button's `i` is the alert id). */
export const alertRefValue = jsonOf(wire).transform((v): AlertRef => ({ run: v.r, alert: v.i }));

/** The reason modal's private metadata. */
export const reasonRefValue = jsonOf(
  wire.extend({ decision: z.enum(['reject', 'conditions']), channel: slackId('channel id') }),
).transform(
  (v): ReasonRef => ({ run: v.r, step: v.i, digest: v.d, decision: v.decision, channel: v.channel }),
);

/** "its run number …; its user id …": what was wrong, from our own messages (zod's defaults say "Invalid input"). */
export function why(error: z.ZodError): string {
  const ours = error.issues.map((i) => i.message).filter((m) => m.startsWith('it'));
  return [...new Set(ours)].join('; ') || 'a part of it is missing';
}
