import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../src/config.js';
import { ConfigError } from '../../src/config-error.js';

const source = join(mkdtempSync(join(tmpdir(), 'mg-settings-')), 'deploy.yml');
const env = { STAGING_DATABASE_URL: 'postgres://u:pw@h/db' };
const yaml = (settings: string) =>
  `migrations: .\nenvironments:\n  - name: staging\n    database: \${STAGING_DATABASE_URL}\n    settings: ${settings}\n`;

function problems(settings: string): string[] {
  try {
    parseDeployConfig(yaml(settings), source, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('deploy.yml environments[].settings', () => {
  it('reads names and values as PostgreSQL takes them, values as text', () => {
    const c = parseDeployConfig(
      yaml(
        '{ search_path: "storage, public", role: migrator, statement_timeout: 0, app.tenant: acme, jit: false }',
      ),
      source,
      env,
    );
    expect(c.environments[0]!.settings).toEqual({
      search_path: 'storage, public',
      role: 'migrator',
      statement_timeout: '0',
      'app.tenant': 'acme',
      jit: 'false',
    });
  });

  it('is left out when not given', () => {
    const c = parseDeployConfig(
      'migrations: .\nenvironments:\n  - name: staging\n    database: ${STAGING_DATABASE_URL}\n',
      source,
      env,
    );
    expect(c.environments[0]!.settings).toBeUndefined();
  });

  it('reports a bad name or value with its path', () => {
    const found = problems('{ "search path": x, role: [a, b], "x;drop": 1 }').join('\n');
    expect(found).toContain('environments[0].settings');
    expect(found).toContain(
      'environments[0].settings.search path: "search path" is not a setting name; write it as PostgreSQL does (search_path, role, app.tenant)',
    );
    expect(found).toContain('environments[0].settings.x;drop: "x;drop" is not a setting name');
    expect(found).toContain(
      'environments[0].settings.role: write the value as a string, a number or true/false',
    );
    expect(problems('[a]').join('\n')).toContain('environments[0].settings');
  });
});
