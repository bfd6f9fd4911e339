import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../src/config.js';
import { ConfigError } from '../../src/config-error.js';
import { problemPath } from '../../src/config-locate.js';

// Inside the working directory: problems name the file as deploy.yml, the way an editor's terminal links it.
const source = join(process.cwd(), 'deploy.yml');
const env = { STAGING_DATABASE_URL: 'postgres://u:pw@h/db' };

function refused(yaml: string): ConfigError {
  try {
    parseDeployConfig(yaml, source, env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const FILE = [
  '# yaml-language-server: $schema=./schema/deploy.schema.json', // 1
  'migrations: ./migrations', // 2
  'colour: blue', // 3
  'monitoring:', // 4
  '  plans:', // 5
  '    short: [{ every: 1m, for: 5m }]', // 6
  'environments:', // 7
  '  - name: staging', // 8
  '    database: ${STAGING_DATABASE_URL}', // 9
  '    settings: { app.tenant: [1] }', // 10
  '  - name: production', // 11
  '    database: postgres://u:pw-9876@h/db', // 12
  '    lockTimeout: soon', // 13
  '    approvals:', // 14
  '      - { role: dba, users: [U01], count: 2 }', // 15
  '  - name: qa', // 16
  '    monitor: nope', // 17
].join('\n');

describe('deploy.yml problems say file:line:column', () => {
  it('a value zod refuses is shown at its key; an unknown key at itself; a missing key at its parent', () => {
    const e = refused(FILE);
    expect(e.located).toEqual([
      'deploy.yml:10:17: environments[0].settings.app.tenant: write the value as a string, a number or true/false',
      'deploy.yml:12:5: environments[1].database: write ${ENV_VAR} and put the URL in that environment variable (secrets never go in deploy.yml)',
      'deploy.yml:13:5: environments[1].lockTimeout: "soon" is not a duration; write it like 500ms, 2s, 5m or 1h',
      'deploy.yml:15:36: environments[1].approvals[0].count: rule "dba" needs 2 approvals but lists 1 user(s): it could never pass',
      'deploy.yml:3:1: (top level): unknown key(s) "colour"',
      'deploy.yml:16:5: environments[2].database: give the database as ${ENV_VAR} (or list services: with a database each)',
    ]);
    // What the bot prints (and the CLI, and the log) is these lines; `problems` keeps the bare paths.
    expect(e.message).toContain('\n  - deploy.yml:12:5: environments[1].database: write ${ENV_VAR}');
    expect(e.problems[1]).toMatch(/^environments\[1\]\.database: /);
    expect(e.message).not.toContain('pw-9876');
  });

  it('problems found after the shape is right are located too (a plan that does not exist, a variable not set)', () => {
    const e = refused(
      'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n    monitor: nope\n  - name: qa\n    database: ${QA_DATABASE_URL}\n',
    );
    expect(e.located).toEqual([
      'deploy.yml:5:5: environments[0].monitor: there is no plan "nope" in monitoring.plans (none defined)',
      'deploy.yml:7:5: environments[1].database: environment variable QA_DATABASE_URL is not set',
    ]);
  });

  it('YAML that does not parse is shown where the parser stopped, every error at once', () => {
    expect(refused('environments: [').located).toEqual([
      'deploy.yml:1:16: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(refused('migrations: .\nenvironments:\n  - name: a\n    name: b\n').located).toEqual([
      'deploy.yml:4:5: not valid YAML: Map keys must be unique',
    ]);
    expect(refused('migrations: .\nenvironments:\n  - name: a\n    name: b\n').problems).toEqual([
      'not valid YAML: Map keys must be unique',
    ]);
  });

  it('a file outside the working directory is named by its full path', () => {
    const elsewhere = '/nonexistent-dir/deploy.yml';
    try {
      parseDeployConfig('environments: []\n', elsewhere, env);
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).located).toEqual([
        `${elsewhere}:1:1: environments: list at least one environment`,
      ]);
    }
  });

  it('reads the path a problem line starts with', () => {
    expect(problemPath('environments[0].approvals[1].count: x')).toEqual([
      'environments',
      0,
      'approvals',
      1,
      'count',
    ]);
    expect(problemPath('(top level): unknown key(s) "colour", "size"')).toEqual(['colour']);
    expect(problemPath('environments[0]: unknown key(s) "extra"')).toEqual(['environments', 0, 'extra']);
    expect(problemPath('monitoring.plans.my-plan[0].every: x')).toEqual([
      'monitoring',
      'plans',
      'my-plan',
      0,
      'every',
    ]);
    expect(problemPath('no path here')).toBeUndefined();
  });
});
