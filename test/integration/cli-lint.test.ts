/**
 * `migration-gate lint` as CI runs it: exit 0 clean (warnings allowed), 1 on an error finding, 2 on a usage or
 * configuration error; --json for machines; --format github for annotations on the lines of a pull request.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/migration-gate.js');

/** A project folder with deploy.yml (its lint: section given) and migrations/. */
function project(lint: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mg-cli-lint-'));
  writeFileSync(
    join(dir, 'deploy.yml'),
    `migrations: ./migrations\n${lint}\nenvironments:\n  - name: staging\n    database: \${STAGING_DATABASE_URL}\n`,
  );
  mkdirSync(join(dir, 'migrations'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'migrations', name), text);
  return dir;
}

/** The CLI run in `dir` (as CI runs it from the repository's root), with no database variable at all. */
function lint(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'lint', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, DEPLOY_CONFIG: join(dir, 'deploy.yml') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const TABLE = 'create table users (id bigint generated always as identity primary key, email text);\n';
const INDEX = '-- Look up users by email.\ncreate index users_email on users (email);\n';
const ERROR = 'lint:\n  require-concurrent-index-creation: error';

// Each run starts the CLI under tsx (a few seconds on a loaded machine): room for several in one test.
describe('migration-gate lint', { timeout: 120_000 }, () => {
  it('exits 0 when nothing is found, and needs no database', () => {
    const r = lint(project('', { '001_users.sql': TABLE }));
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('Lint of 1 file: no findings\n');
  });

  it('exits 0 with warnings, 1 with an error, and prints file:line:column', () => {
    const warn = lint(project('', { '001_users.sql': TABLE, '002_index.sql': INDEX }));
    expect(warn.code).toBe(0);
    expect(warn.out).toContain(
      'migrations/002_index.sql:2:1: warning require-concurrent-index-creation: During normal index creation, table updates are blocked, but reads are still allowed.\n  help: Use `concurrently` to avoid blocking writes.',
    );
    const error = lint(project(ERROR, { '001_users.sql': TABLE, '002_index.sql': INDEX }));
    expect(error.code).toBe(1);
    expect(error.out).toContain('migrations/002_index.sql:2:1: error require-concurrent-index-creation');
    expect(error.out).toContain('Lint of 2 files: 1 error');
  });

  it('--migration lints only the migrations named; --json prints the report', () => {
    const dir = project(ERROR, { '001_users.sql': TABLE, '002_index.sql': INDEX });
    expect(lint(dir, '--migration', '001').code).toBe(0);
    const r = lint(dir, '--migration', '001_users', '--migration', '002', '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ migrations: ['001_users', '002_index'], files: 2, errors: 1, warnings: 0 });
    expect(json.findings[0]).toEqual({
      rule: 'require-concurrent-index-creation',
      level: 'error',
      file: '002_index.sql',
      line: 2,
      column: 1,
      message: 'During normal index creation, table updates are blocked, but reads are still allowed.',
      help: 'Use `concurrently` to avoid blocking writes.',
    });
  });

  it('--format github prints workflow annotations on the lines; an allowed error is a notice with its reason', () => {
    const dir = project(ERROR, {
      '002_index.sql': `${INDEX}-- migration-gate:allow require-concurrent-index-creation users has 40 rows, 100% read-only\ncreate index users_id on users (id);\ngrant select on users to public;\n`,
    });
    const r = lint(dir, '--format', 'github');
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      '::error file=migrations/002_index.sql,line=2,col=1,title=require-concurrent-index-creation::During normal index creation, table updates are blocked, but reads are still allowed. Use `concurrently` to avoid blocking writes.',
      '::notice file=migrations/002_index.sql,line=4,col=1,title=require-concurrent-index-creation::During normal index creation, table updates are blocked, but reads are still allowed. Use `concurrently` to avoid blocking writes. (allowed: users has 40 rows, 100%25 read-only)',
      '::warning file=migrations/002_index.sql,line=5,col=26,title=grant-to-public::GRANT select ON TABLE users TO PUBLIC: every role, present and future, gets it.',
      'Lint of 1 file: 1 error, 1 allowed, 1 warning',
      '',
    ]);
  });

  it('an allow without a reason is itself an error', () => {
    const dir = project(ERROR, {
      '002_index.sql':
        '-- migration-gate:allow require-concurrent-index-creation\ncreate index i on users (email);\n',
    });
    const r = lint(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'migrations/002_index.sql:1:1: error migration-gate-allow: an allow needs a reason the approver can read',
    );
  });

  it('exits 2 on a usage or configuration error, with a sentence saying what to do', () => {
    const dir = project('', { '001_users.sql': TABLE });
    expect(lint(dir, '--json', '--format', 'github')).toMatchObject({ code: 2, out: '' });
    expect(lint(dir, '--format', 'xml').err).toContain(
      'There is no format "xml": use text or github (or --json).',
    );
    expect(lint(dir, '--migration', '009').err).toContain(
      'There is no migration "009". Available: 001_users.',
    );
    expect(lint(dir, '--pg-version', 'x').code).toBe(2);
    const bad = lint(project('lint:\n  require-concurent-index-creation: error', { '001_users.sql': TABLE }));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      'there is no lint rule "require-concurent-index-creation"; did you mean require-concurrent-index-creation',
    );
  });
});
