import { describe, expect, it } from 'vitest';
import { HELP, parseSlashText } from '../../src/slack/command.js';

describe('parseSlashText: baseline', () => {
  it.each([
    ['baseline 024_x on Production', { kind: 'baseline', migration: '024_x', on: 'production' }],
    [
      'BASELINE V18__index_end_time on staging',
      { kind: 'baseline', migration: 'V18__index_end_time', on: 'staging' },
    ],
  ])('%j → %j', (text, command) => {
    expect(parseSlashText(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['baseline', 'Say up to which migration and on which environment'],
    ['baseline 024_x', 'Say up to which migration and on which environment'],
    ['baseline 024_x to production', 'Say up to which migration and on which environment'],
    ['baseline 024_x on', 'Say up to which migration and on which environment'],
    ['baseline 024_x on production now', 'Say up to which migration and on which environment'],
    ['baseline 024_ü on production', '"024_ü" is not a migration name'],
  ])('%j is refused with a sentence', (text, message) => {
    const r = parseSlashText(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(message);
  });

  it('help names it and says the files do not run', () => {
    expect(HELP).toContain('baseline &lt;migration&gt; on &lt;environment&gt;');
    expect(HELP).toContain('WITHOUT running them');
  });
});
