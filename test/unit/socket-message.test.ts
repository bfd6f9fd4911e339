import { describe, expect, it } from 'vitest';
import { malformedMessage } from '../../src/slack/socket-receiver.js';

const slash = { command: '/deploy-migration', text: 'list', user_id: 'U1', channel_id: 'C1' };
const click = { type: 'block_actions', actions: [{ action_id: 'gate.approve', value: 'x' }] };
const env = (o: Record<string, unknown>) => JSON.stringify(o);

describe('malformedMessage: what the Socket Mode guard lets through to the client and Bolt', () => {
  it.each([
    ['hello', env({ type: 'hello', num_connections: 1 })],
    ['disconnect', env({ type: 'disconnect', reason: 'refresh_requested' })],
    ['a slash command', env({ envelope_id: 'e', type: 'slash_commands', payload: slash })],
    ['a click', env({ envelope_id: 'e', type: 'interactive', payload: click })],
    [
      'a view submission',
      env({
        envelope_id: 'e',
        type: 'interactive',
        payload: { type: 'view_submission', view: { callback_id: 'c' } },
      }),
    ],
    ['an event', env({ envelope_id: 'e', type: 'events_api', payload: { event: { type: 'app_mention' } } })],
    ['a type it does not know', env({ envelope_id: 'e', type: 'something_new', payload: {} })],
  ])('passes %s', (_, text) => {
    expect(malformedMessage(text)).toBeUndefined();
  });

  it.each([
    ['{"type":', 'the message is not JSON'],
    ['null', 'the message is not a JSON object'],
    ['"hello"', 'the message is not a JSON object'],
    ['[]', 'the message is not a JSON object'],
    [env({ envelope_id: 'e' }), 'the message has no type'],
    [
      env({ type: 'slash_commands', payload: slash }),
      'an envelope of type slash_commands without an envelope_id',
    ],
    [
      env({ envelope_id: '', type: 'interactive', payload: click }),
      'an envelope of type interactive without an envelope_id',
    ],
    [
      env({ envelope_id: 'e', type: 'interactive', payload: null }),
      'an envelope of type interactive without a payload object',
    ],
    [
      env({ envelope_id: 'e', type: 'slash_commands', payload: { text: 'list' } }),
      'a slash_commands payload without a command',
    ],
    [env({ envelope_id: 'e', type: 'interactive', payload: { actions: [] } }), 'the payload has no type'],
    [
      env({ envelope_id: 'e', type: 'interactive', payload: { type: 'block_actions', actions: [] } }),
      'a block_actions payload without a valid actions',
    ],
    [
      env({ envelope_id: 'e', type: 'events_api', payload: {} }),
      'an events_api payload without a typed event',
    ],
  ])('drops %s: %s', (text, why) => {
    expect(malformedMessage(text)).toBe(why);
  });
});
