/** Which demo databases `npm start` makes for a deploy.yml: one per environment, or one per service there. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sandboxTargets } from '../../src/sandbox/targets.js';

const ROOT = join(import.meta.dirname, '../..');

describe('sandbox targets', () => {
  it('the repo deploy.yml: a demo database per environment', () => {
    const t = sandboxTargets(join(ROOT, 'deploy.yml'), {}, false);
    expect(t.demo.map((x) => x.name)).toEqual(['staging', 'production']);
    expect(t.demo.map((x) => x.variable)).toEqual(['STAGING_DATABASE_URL', 'PRODUCTION_DATABASE_URL']);
  });

  it('services: a demo database per service on each environment, read from that service’s variable', () => {
    const t = sandboxTargets(
      join(ROOT, 'examples/rls-rollout/deploy.yml'),
      { COMMUNITY_STAGING_DATABASE_URL: 'postgres://x@h/db' },
      false,
    );
    expect(t.demo.map((x) => x.name)).toEqual([
      'staging_community',
      'staging_marketplace',
      'staging_academy',
      'production_community',
      'production_marketplace',
      'production_academy',
    ]);
    expect(t.demo[0]!.variable).toBe('COMMUNITY_STAGING_DATABASE_URL');
    expect(t.ignored.map((x) => x.name)).toEqual(['staging_community']);
  });
});
