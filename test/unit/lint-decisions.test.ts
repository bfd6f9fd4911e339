/** What blocks a run and what an allow lets through (src/deploy/lint.ts), and deploy.yml's lint: (pure). */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../src/config.js';
import {
  ALLOW_RULE,
  type AllowComment,
  blockedBy,
  blocks,
  judge,
  parseAllow,
  type RawFinding,
} from '../../src/deploy/lint.js';
import { DEFAULT_LEVELS, type LintLevel, resolveLevels } from '../../src/deploy/lint-rules.js';

const finding = (rule: string, statement: number, line = statement + 1): RawFinding => ({
  rule,
  file: '002_x.sql',
  line,
  column: 1,
  message: `${rule} found`,
  statement,
});
const allow = (text: string, statement: number, line = statement + 1): AllowComment => ({
  file: '002_x.sql',
  line,
  column: 1,
  text,
  statement,
});
const levels = (given: Record<string, LintLevel>) => resolveLevels(given);

describe('judge: levels from deploy.yml', () => {
  const raw = [finding('require-concurrent-index-creation', 0), finding('grant-to-public', 1)];

  it('error blocks, warning does not, off drops the finding', () => {
    const error = judge(raw, [], levels({ 'require-concurrent-index-creation': 'error' }), 1);
    expect(error.findings.map((f) => [f.rule, f.level])).toEqual([
      ['require-concurrent-index-creation', 'error'],
      ['grant-to-public', 'warning'],
    ]);
    expect(blocks(error)).toBe(true);
    expect(blockedBy(error)).toContain(
      'Lint found 1 error in the pending files (first: 002_x.sql:1:1 require-concurrent-index-creation), so nothing was applied.',
    );

    const warning = judge(raw, [], DEFAULT_LEVELS, 1);
    expect(warning).toMatchObject({ errors: 0, warnings: 2, allowed: 0 });
    expect(blocks(warning)).toBe(false);

    const off = judge(
      raw,
      [],
      levels({ 'require-concurrent-index-creation': 'off', 'grant-to-public': 'off' }),
      1,
    );
    expect(off.findings).toEqual([]);
    expect(blocks(off)).toBe(false);
  });

  it('a problem running the linter blocks like an error', () => {
    const r = judge([], [], DEFAULT_LEVELS, 1, ['squawk is not installed.']);
    expect(blocks(r)).toBe(true);
    expect(blockedBy(r)).toBe(
      'Lint could not check the pending files, so nothing was applied: squawk is not installed.',
    );
  });
});

describe('judge: allows in the file', () => {
  const lv = levels({ 'require-concurrent-index-creation': 'error', revoke: 'error' });

  it('an allow with a reason lets its rule through on its statement only, and keeps the reason', () => {
    const r = judge(
      [finding('require-concurrent-index-creation', 0), finding('require-concurrent-index-creation', 2)],
      [allow('-- migration-gate:allow require-concurrent-index-creation users has 40 rows', 0)],
      lv,
      1,
    );
    expect(r.findings.map((f) => [f.line, f.level, f.allowed])).toEqual([
      [3, 'error', undefined],
      [1, 'error', 'users has 40 rows'],
    ]);
    expect(r).toMatchObject({ errors: 1, allowed: 1, warnings: 0 });
  });

  it('one allow may name several rules, comma-separated', () => {
    const r = judge(
      [finding('revoke', 0), finding('require-concurrent-index-creation', 0)],
      [allow('-- migration-gate:allow revoke,require-concurrent-index-creation the old role is gone', 0)],
      lv,
      1,
    );
    expect(r).toMatchObject({ errors: 0, allowed: 2 });
  });

  it('refuses an allow without a reason, and the finding it meant still blocks', () => {
    const r = judge([finding('revoke', 0)], [allow('-- migration-gate:allow revoke', 0)], lv, 1);
    expect(r.findings.map((f) => [f.rule, f.level, f.allowed])).toEqual([
      [ALLOW_RULE, 'error', undefined],
      ['revoke', 'error', undefined],
    ]);
    expect(r.findings[0]!.message).toBe(
      'an allow needs a reason the approver can read: `-- migration-gate:allow revoke <why it is safe here>`',
    );
    expect(r.errors).toBe(2);
  });

  it('refuses an allow of a rule that does not exist, naming the near ones', () => {
    const r = judge([], [allow('-- migration-gate:allow require-concurent-index-creation fine', 0)], lv, 1);
    expect(r.findings[0]).toMatchObject({ rule: ALLOW_RULE, level: 'error' });
    expect(r.findings[0]!.message).toContain(
      'there is no lint rule "require-concurent-index-creation" to allow; did you mean require-concurrent-index-creation',
    );
  });

  it("refuses squawk's own squawk-ignore comments: they hide a finding without a reason", () => {
    expect(parseAllow('-- squawk-ignore ban-drop-table')).toMatchObject({ kind: 'bad' });
    expect(judge([], [allow('-- squawk-ignore ban-drop-table', 0)], lv, 1).errors).toBe(1);
  });

  it('warns about an allow that lets nothing through', () => {
    const r = judge([], [allow('-- migration-gate:allow revoke no longer needed here', 3)], lv, 1);
    expect(r.findings[0]).toMatchObject({ rule: ALLOW_RULE, level: 'warning', line: 4 });
    expect(blocks(r)).toBe(false);
  });

  it('leaves other comments alone', () => {
    for (const c of ['-- just a note', '/* migration-gate:allowing nothing */', '-- migration-gate: hello'])
      expect(parseAllow(c)).toEqual({ kind: 'none' });
    expect(parseAllow('/* migration-gate:allow revoke the role is retired */')).toEqual({
      kind: 'allow',
      rules: ['revoke'],
      reason: 'the role is retired',
    });
  });
});

describe('deploy.yml lint:', () => {
  const load = (lint: string) =>
    parseDeployConfig(
      `migrations: .\n${lint}\nenvironments:\n  - name: staging\n    database: \${DB}\n`,
      join(tmpdir(), 'deploy.yml'),
      { DB: 'postgres://h/db' },
    );
  const problems = (lint: string) => {
    try {
      load(lint);
      return [];
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
  };

  it('sets each rule to error, warning or off over the defaults (squawk opt-in rules off, the rest warnings)', () => {
    const c = load(
      'lint:\n  require-concurrent-index-creation: error\n  prefer-bigint-over-int: off\n  revoke: warning',
    );
    expect(c.lint['require-concurrent-index-creation']).toBe('error');
    expect(c.lint['prefer-bigint-over-int']).toBe('off');
    expect(c.lint['grant-to-public']).toBe('warning');
    expect(c.lint['require-table-schema']).toBe('off');
    expect(load('').lint).toEqual(DEFAULT_LEVELS);
  });

  it('refuses an unknown rule with a sentence naming the rules near it', () => {
    expect(problems('lint:\n  require-concurent-index-creation: error\n  grant-public: error')).toEqual([
      'lint.require-concurent-index-creation: there is no lint rule "require-concurent-index-creation"; did you mean require-concurrent-index-creation, require-concurrent-index-deletion, require-concurrent-reindex? docs/lint.md lists every rule',
      'lint.grant-public: there is no lint rule "grant-public"; did you mean grant-to-public? docs/lint.md lists every rule',
    ]);
  });

  it("refuses squawk's timeout rules (the bot sets the timeouts) and a level that is not one", () => {
    expect(problems('lint:\n  require-lock-timeout: error\n  revoke: maybe\n  drop-policy: true')).toEqual([
      'lint.require-lock-timeout: require-lock-timeout is always off: migration-gate sets lock_timeout and statement_timeout itself for every file (lockTimeout and statementTimeout of each environment); remove it from lint:',
      'lint.revoke: set revoke to error, warning or off',
      'lint.drop-policy: set drop-policy to error, warning or off',
    ]);
    expect(problems('lint: [revoke]')).toEqual([
      'lint: write lint: as rule: level pairs, e.g. { require-concurrent-index-creation: error }',
    ]);
  });
});
