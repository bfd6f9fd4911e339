/**
 * The CLI reads one migrations folder and one database per environment: a deploy.yml with services: (here the
 * RLS-rollout example) is refused with a sentence saying so and what does handle it, exit 2, nothing read wrongly.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/migration-gate.js');

describe('the CLI with a deploy.yml of services', { timeout: 120_000 }, () => {
  it.each([['status'], ['lint']])('%s says it does not handle services yet', (command) => {
    const r = spawnSync(process.execPath, [BIN, command], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, DEPLOY_CONFIG: join(ROOT, 'examples/rls-rollout/deploy.yml') },
    });
    expect(r.status).toBe(2);
    expect(r.stderr + r.stdout).toContain('deploy.yml lists services:, and the CLI');
    expect(r.stderr + r.stdout).toContain('does not handle services yet');
  });
});
