/**
 * Button references: what a button or the reason modal carries, in the wire format cards already posted in Slack
 * use, and every value the bot refuses with the sentence the user reads.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { approvalCard, reasonModal } from '../../src/slack/gate-blocks.js';
import { alertMessage } from '../../src/slack/monitor-blocks.js';
import { ACTIONS, type Message } from '../../src/slack/mrkdwn.js';
import {
  type AlertRef,
  alertRefValue,
  encodeAlertRef,
  encodeReasonRef,
  encodeStepRef,
  NO_STEP,
  type ReasonRef,
  reasonRefValue,
  type StepRef,
  stepRefValue,
  why,
} from '../../src/slack/refs.js';
import { runCard } from '../../src/slack/run-card.js';
import { gate, judged, run } from '../support/hostile.js';

/** What register.ts says about a value: the data, or the reason it gives the user. */
function decode<T>(schema: z.ZodType<T>, value: unknown) {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: parsed.data } : { refused: why(parsed.error) };
}

const buttons = (m: Message) =>
  (m.blocks as { type: string; elements?: { action_id: string; value: string }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

describe('encode and decode round trips', () => {
  const steps: StepRef[] = [
    { run: 1, step: 0, digest: 'a'.repeat(64) },
    { run: 2_147_483_647, step: 12, digest: '' },
    { run: 17, step: NO_STEP, digest: '' },
  ];
  it.each(steps)('step ref %o', (ref) => {
    expect(decode(stepRefValue, encodeStepRef(ref))).toEqual({ ok: ref });
  });

  const alerts: AlertRef[] = [
    { run: 3, alert: 1 },
    { run: 2_147_483_647, alert: 2_147_483_647 },
  ];
  it.each(alerts)('alert ref %o', (ref) => {
    expect(decode(alertRefValue, encodeAlertRef(ref))).toEqual({ ok: ref });
  });

  const reasons: ReasonRef[] = [
    { run: 5, step: 2, digest: 'd1', decision: 'reject', channel: 'C0DEPLOYS' },
    { run: 5, step: 2, digest: 'd1', decision: 'conditions', channel: 'C1' },
  ];
  it.each(reasons)('reason ref %o', (ref) => {
    expect(decode(reasonRefValue, encodeReasonRef(ref))).toEqual({ ok: ref });
  });
});

describe('the wire format of cards already in Slack', () => {
  it('is the JSON the bot has always written', () => {
    expect(encodeStepRef({ run: 7, step: 2, digest: 'abc' })).toBe('{"r":7,"i":2,"d":"abc"}');
    expect(encodeAlertRef({ run: 7, alert: 41 })).toBe('{"r":7,"i":41,"d":""}');
    expect(encodeReasonRef({ run: 7, step: 2, digest: 'abc', decision: 'reject', channel: 'C1' })).toBe(
      '{"r":7,"i":2,"d":"abc","decision":"reject","channel":"C1"}',
    );
  });

  it('an old alert button (its alert id where a step goes) decodes to the alert', () => {
    expect(decode(alertRefValue, '{"r":9,"i":33,"d":""}')).toEqual({ ok: { run: 9, alert: 33 } });
  });

  it('an old Cancel button decodes to the run with no step', () => {
    expect(decode(stepRefValue, '{"r":9,"i":-1,"d":""}')).toEqual({
      ok: { run: 9, step: NO_STEP, digest: '' },
    });
  });

  it('every button the renderers draw decodes to the run, step or alert it is for', () => {
    const r = run(); // staging verify blocked (step 1), production approval waiting (2), monitor watching (3)
    const card = buttons(runCard(r));
    expect(card.map((b) => [b.action_id, decode(stepRefValue, b.value)])).toEqual([
      [ACTIONS.rollback, { ok: { run: 17, step: 1, digest: '' } }],
      [ACTIONS.rerun, { ok: { run: 17, step: 1, digest: '' } }],
      [ACTIONS.cancel, { ok: { run: 17, step: NO_STEP, digest: '' } }],
    ]);
    for (const b of buttons(approvalCard(r, gate)))
      expect(decode(stepRefValue, b.value)).toEqual({ ok: { run: 17, step: 2, digest: 'd' } });
    const alert = buttons(alertMessage(r, 'production', 'critical', [judged({})], { alertId: 5 }));
    expect(alert.map((b) => b.action_id)).toEqual([ACTIONS.rollback, 'alert.ack', 'alert.keep']);
    expect(decode(stepRefValue, alert[0]!.value)).toEqual({ ok: { run: 17, step: 3, digest: '' } });
    expect(decode(alertRefValue, alert[1]!.value)).toEqual({ ok: { run: 17, alert: 5 } });
    expect(decode(alertRefValue, alert[2]!.value)).toEqual({ ok: { run: 17, alert: 5 } });
    const modal = reasonModal('conditions', { run: 17, step: 2, digest: 'd' }, 'C1', 'production');
    expect(decode(reasonRefValue, modal.private_metadata)).toEqual({
      ok: { run: 17, step: 2, digest: 'd', decision: 'conditions', channel: 'C1' },
    });
  });
});

describe('values the bot refuses, and what it says', () => {
  const good = { r: 3, i: 1, d: 'abc' };
  const json = (patch: object) => JSON.stringify({ ...good, ...patch });
  const stepOrAlert: [string, unknown, string][] = [
    ['not JSON', '{r:3', 'it is not JSON'],
    ['not a string', 3, 'a part of it is missing'],
    ['JSON that is not an object', '[3,1,"abc"]', 'a part of it is missing'],
    ['no run number', JSON.stringify({ i: 1, d: '' }), 'its run number is not a number'],
    ['a run number that is text', json({ r: '3' }), 'its run number is not a number'],
    ['a fractional run number', json({ r: 1.5 }), 'its run number is not a number'],
    ['run number 0', json({ r: 0 }), 'its run number is not a run number'],
    ['a negative run number', json({ r: -3 }), 'its run number is not a run number'],
    [
      'a run number past 2^31-1',
      json({ r: 2 ** 31 }),
      'it names a run number no run can have: run numbers stop at 2,147,483,647',
    ],
    ['a step that is text', json({ i: 'x' }), 'its step is not a number'],
    ['a fractional step', json({ i: 0.5 }), 'its step is not a number'],
    ['step -2', json({ i: -2 }), 'its step is not a step'],
    ['a step past 2^31-1', json({ i: 2 ** 31 }), 'its step is not a step'],
    ['a NUL in the card version', json({ d: 'a\u0000b' }), 'its card version is not one the bot writes'],
    ['a card version that is not text', json({ d: 5 }), 'a part of it is missing'],
    ['a card version longer than a digest', json({ d: 'a'.repeat(65) }), 'a part of it is missing'],
    ['two things wrong', json({ r: 'x', i: -5 }), 'its run number is not a number; its step is not a step'],
  ];
  it.each(stepOrAlert)('a step button with %s', (_name, value, refused) => {
    expect(decode(stepRefValue, value)).toEqual({ refused });
  });
  it.each(stepOrAlert)('an alert button with %s', (_name, value, refused) => {
    expect(decode(alertRefValue, value)).toEqual({ refused });
  });

  const meta = { ...good, decision: 'reject', channel: 'C1' };
  const reasons: [string, unknown, string][] = [
    ['not JSON', 'nope', 'it is not JSON'],
    ['a bad run number', JSON.stringify({ ...meta, r: 0 }), 'its run number is not a run number'],
    ['a bad step', JSON.stringify({ ...meta, i: -2 }), 'its step is not a step'],
    [
      'a decision that asks no reason',
      JSON.stringify({ ...meta, decision: 'approve' }),
      'a part of it is missing',
    ],
    ['no channel', JSON.stringify({ ...meta, channel: undefined }), 'a part of it is missing'],
    [
      'a channel Slack would not send',
      JSON.stringify({ ...meta, channel: 'c1<' }),
      'its channel id is not one Slack sends',
    ],
  ];
  it.each(reasons)('the reason modal with %s', (_name, value, refused) => {
    expect(decode(reasonRefValue, value)).toEqual({ refused });
  });
});
