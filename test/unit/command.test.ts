import { describe, expect, it } from 'vitest';
import { HELP, parseSlashText } from '../../src/slack/command.js';

describe('parseSlashText', () => {
  it.each([
    ['024_atomic_user_behavior_updates', { kind: 'deploy', migration: '024_atomic_user_behavior_updates' }],
    ['024 to Production', { kind: 'deploy', migration: '024', to: 'production' }],
    ['  024\tto   staging ', { kind: 'deploy', migration: '024', to: 'staging' }],
    ['status', { kind: 'status' }],
    ['status #17', { kind: 'status', runId: 17 }],
    ['STATUS 17', { kind: 'status', runId: 17 }],
    ['list', { kind: 'list' }],
    ['help', { kind: 'help' }],
    // Flyway ids and undo-style names are migrations too.
    ['V18__index_end_time to staging', { kind: 'deploy', migration: 'V18__index_end_time', to: 'staging' }],
    ['V13.1', { kind: 'deploy', migration: 'V13.1' }],
    [
      'verify V2__person_kind on production',
      { kind: 'verify', migration: 'V2__person_kind', on: 'production' },
    ],
  ])('%j → %j', (text, command) => {
    expect(parseSlashText(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['', 'Tell me what to deploy'],
    ['frobnicate', 'I don\'t know the command "frobnicate"'],
    ['024 to', 'Say which environment after "to"'],
    ['024 onto staging', 'I did not understand "onto staging" after "024"'],
    ['status #x', 'Run numbers look like #17'],
    ['status 1 2', 'Run numbers look like #17'],
    ['024_ü', '"024_ü" is not a migration name'],
    ['a'.repeat(501), 'That command is 501 characters long'],
    [`${'z'.repeat(60)}`, `"${'z'.repeat(40)}…"`],
  ])('%j is refused with a sentence', (text, message) => {
    const r = parseSlashText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it('an unknown command is told every subcommand, each of which the parser takes and help explains', () => {
    const r = parseSlashText('frobnicate');
    expect(r).toEqual({
      ok: false,
      message:
        'I don\'t know the command "frobnicate". Name a migration (e.g. `/deploy-migration 024_atomic_user_behavior_updates to staging`), or use `release`, `baseline`, `status`, `cancel`, `verify`, `watch`, `checkpoint`, `list` or `help`.',
    });
    for (const verb of ['baseline', 'status', 'cancel', 'verify', 'watch', 'checkpoint', 'list', 'help']) {
      expect(HELP).toContain(`${verb}`);
      const parsed = parseSlashText(verb);
      if (!parsed.ok) expect(parsed.message).not.toContain("I don't know the command");
    }
  });
});
