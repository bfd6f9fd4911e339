/**
 * squawk (the real binary from npm squawk-cli) over real dangerous migration files, as preflight runs it: findings
 * at 1-based line:column of the file, the version of the target taken into account, files the bot runs outside a
 * transaction linted as such, and deploy.yml's levels and the files' allows applied.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveLevels } from '../../src/deploy/lint-rules.js';
import { lintMigrations, lintTexts } from '../../src/lint/lint-files.js';
import { squawkBinary } from '../../src/lint/squawk.js';
import { discoverMigrations } from '../../src/target/files.js';

/** A migrations folder with these files, read as preflight reads it. */
function folder(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'mg-lint-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return discoverMigrations(dir).migrations;
}
const at = (r: Awaited<ReturnType<typeof lintTexts>>) =>
  r.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.level} ${f.rule}`);

describe('squawk', () => {
  it('is installed by npm ci: its platform binary resolves and is version 2.66.0', () => {
    const bin = squawkBinary();
    if (!bin.ok) throw new Error(bin.problem);
    expect(existsSync(bin.path)).toBe(true);
    expect(execFileSync(bin.path, ['--version'], { encoding: 'utf8' }).trim()).toBe('squawk 2.66.0');
  });

  it('finds the dangerous statements of real migration files, at their line:column (1-based)', async () => {
    const files = folder({
      '001_users.sql':
        'create table users (id bigint generated always as identity primary key, email text);\n',
      '002_index.sql': '-- Look up users by email.\ncreate index users_email on users (email);\n',
      '003_type.sql': '-- Widen the name.\nalter table users\n  alter column email type varchar(500);\n',
      '004_flag.sql': 'alter table users add column active boolean not null default true;\n',
    });
    const levels = resolveLevels({ 'require-concurrent-index-creation': 'error' });
    // On PostgreSQL 10, a column with a default rewrites the table; from 11 on it does not.
    const old = await lintMigrations(files, levels, 100_000);
    expect(at(old)).toEqual([
      '002_index.sql:2:1 error require-concurrent-index-creation',
      '003_type.sql:3:22 warning changing-column-type',
      '003_type.sql:3:27 warning prefer-text-field',
      '004_flag.sql:1:62 warning adding-field-with-default',
    ]);
    expect(old.errors).toBe(1);
    expect(old.findings[0]!.message).toBe(
      'During normal index creation, table updates are blocked, but reads are still allowed.',
    );
    expect(old.findings[0]!.help).toBe('Use `concurrently` to avoid blocking writes.');
    const current = await lintMigrations(files, levels, 150_018);
    expect(at(current)).not.toContain('004_flag.sql:1:62 warning adding-field-with-default');
  });

  it('lints a file the bot runs outside a transaction as such (no in-transaction findings for CONCURRENTLY)', async () => {
    const files = folder({
      '001_idx.sql': 'create index concurrently if not exists users_email on users (email);\n',
    });
    expect((await lintMigrations(files, resolveLevels(), 150_018)).findings).toEqual([]);
  });

  it('counts columns in characters, not in the UTF-8 bytes squawk reports', async () => {
    const r = await lintTexts(
      [
        {
          file: 'x.sql',
          text: "select 'é😀'; alter table t alter column c type text;\n",
          inTransaction: true,
        },
      ],
      resolveLevels(),
    );
    // squawk points at `type text`: byte 45 of the line (0-based), character 43 (1-based).
    expect(at(r)).toEqual(['x.sql:1:43 warning changing-column-type']);
  });

  it("applies deploy.yml's levels and the files' allows to squawk's findings", async () => {
    const text =
      '-- migration-gate:allow require-concurrent-index-creation users holds 40 rows; the lock lasts milliseconds\ncreate index users_email on users (email);\ncreate index users_name on users (name);\n';
    const levels = resolveLevels({
      'require-concurrent-index-creation': 'error',
      'prefer-robust-stmts': 'off',
    });
    const r = await lintTexts([{ file: 'x.sql', text, inTransaction: false }], levels);
    expect(r.findings.map((f) => [f.line, f.rule, f.allowed])).toEqual([
      [3, 'require-concurrent-index-creation', undefined],
      [2, 'require-concurrent-index-creation', 'users holds 40 rows; the lock lasts milliseconds'],
    ]);
    expect(r).toMatchObject({ errors: 1, allowed: 1, warnings: 0 });
    const off = await lintTexts(
      [{ file: 'x.sql', text, inTransaction: false }],
      resolveLevels({ 'require-concurrent-index-creation': 'off', 'prefer-robust-stmts': 'off' }),
    );
    expect(off.findings).toEqual([]);
  });

  it('reports a file PostgreSQL cannot parse as an error at its line:column', async () => {
    const r = await lintTexts(
      [{ file: 'x.sql', text: 'select 1;\nalter tabel t add column c int;\n', inTransaction: true }],
      resolveLevels(),
    );
    expect(at(r)).toEqual(['x.sql:2:7 error parse-error']);
    expect(r.findings[0]!.message).toBe('PostgreSQL cannot parse this: syntax error at or near "tabel"');
  });
});
