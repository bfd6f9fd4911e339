import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../src/config.js';

const load = (migrations: string) =>
  parseDeployConfig(
    `migrations: ${migrations}\nenvironments:\n  - name: staging\n    database: \${DB}\n`,
    join(tmpdir(), 'deploy.yml'),
    { DB: 'postgres://h/db' },
  );
const problems = (migrations: string) => {
  try {
    load(migrations);
    return [];
  } catch (e) {
    return (e as { problems: string[] }).problems;
  }
};

describe('migrations: in deploy.yml', () => {
  it('takes a folder (layout detected) or a folder and its layout', () => {
    expect(load('.').migrationsLayout).toBe('auto');
    expect(load('{ path: ., layout: prisma }')).toMatchObject({
      migrationsDir: tmpdir(),
      migrationsLayout: 'prisma',
    });
    expect(load('{ path: . }').migrationsLayout).toBe('auto');
  });
  it.each([
    [
      '{ path: ., layout: liquibase }',
      'migrations.layout: one of auto, plain, prisma, supabase, golang-migrate, dbmate, flyway',
    ],
    ['{ path: ., layot: prisma }', 'migrations: unknown key(s) "layot"'],
    ['{ layout: prisma }', 'migrations.path: the folder, relative to deploy.yml (e.g. ./migrations)'],
    ['42', 'migrations: write a folder (migrations: ./migrations) or { path: ./migrations, layout: prisma }'],
    ['{ path: ./nowhere, layout: flyway }', 'migrations: folder ./nowhere does not exist'],
  ])('refuses %s with its path', (migrations, problem) => {
    expect(problems(migrations)).toEqual([problem]);
  });
});
