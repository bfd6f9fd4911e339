/** `npm start`'s entry with a wrong environment or deploy.yml: every problem on stderr, no stack trace, exit code 2. */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/pg.js';
import { ROOT } from '../support/started.js';

/** Run the entry as `npm start` does (under tsx) and wait for it to exit. */
function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const noStackTrace = (text: string) => {
  expect(text).not.toMatch(/^\s+at /m);
  expect(text).not.toContain('ConfigError');
};

describe('npm start with a wrong configuration', () => {
  it('invalid environment variables: every problem is printed and the exit code is 2', async () => {
    const r = await run({
      SLACK_BOT_TOKEN: 'not-a-token',
      PORT: '99999',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://admin:Hunter2-db@db.internal/app',
      SLACK_API_URL: 'not a url',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('environment is not valid:');
    for (const variable of [
      'SLACK_BOT_TOKEN: must be a bot token',
      'PORT:',
      'LOG_LEVEL:',
      'DATABASE_URL: must be a postgres:// URL',
      'SLACK_API_URL:',
      // a problem between variables is reported with the others, not after they are fixed
      'SLACK_SIGNING_SECRET: required in HTTP mode',
    ])
      expect(r.stderr).toContain(`  - ${variable}`);
    noStackTrace(r.stderr + r.stdout);
    expect(r.stderr + r.stdout).not.toContain('Hunter2-db');
  });

  it('a wrong deploy.yml: every problem is printed and the exit code is 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mg-start-env-'));
    writeFileSync(
      join(dir, 'deploy.yml'),
      'migrations: ./nowhere\nenvironments:\n  - name: Staging\n    database: ${STAGING_DATABASE_URL}\n    lockTimeout: soon\n',
    );
    const r = await run({
      SLACK_BOT_TOKEN: 'xoxb-test-1',
      SLACK_SIGNING_SECRET: 'secret-1',
      DATABASE_URL: await createTestDatabase('mg_start_env'),
      DEPLOY_CONFIG: join(dir, 'deploy.yml'),
      LOG_LEVEL: 'silent',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('deploy.yml is not valid:');
    expect(r.stderr).toContain('environments[0].name: use lowercase letters');
    expect(r.stderr).toContain('environments[0].lockTimeout: "soon" is not a duration');
    noStackTrace(r.stderr + r.stdout);
  });
});
