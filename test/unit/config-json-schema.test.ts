import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CHECKS_SCHEMA_PATH,
  checksJsonSchema,
  deployJsonSchema,
  SCHEMA_PATH,
  schemaFiles,
} from '../../src/config-json-schema.js';
import { fileSchema } from '../../src/config-schema.js';
import { checksFileSchema } from '../../src/deploy/check-schema.js';

const ROOT = join(import.meta.dirname, '../..');
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateDeploy = ajv.compile(deployJsonSchema());
const validateChecks = ajv.compile(checksJsonSchema());

/** What a JSON Schema validator and the zod schema each say about a value: [] when both accept it. */
function problems(value: unknown, json: ValidateFunction, zod: typeof fileSchema | typeof checksFileSchema) {
  const out: string[] = [];
  if (!json(value))
    out.push(...(json.errors ?? []).map((e) => `JSON Schema: ${e.instancePath} ${e.message}`));
  const parsed = zod.safeParse(value);
  if (!parsed.success) out.push(...parsed.error.issues.map((i) => `zod: ${i.path.join('.')} ${i.message}`));
  return out;
}

interface Example {
  readonly where: string;
  readonly kind: 'deploy.yml' | 'environments' | 'checks';
  readonly value: unknown;
}

const DEPLOY_KEYS = ['environments', 'migrations', 'monitoring'];
const PLACEHOLDER = { name: 'staging', database: '${STAGING_DATABASE_URL}' };
const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Every ```yaml block of README.md and docs/*.md that is a deploy.yml (a map with environments, migrations or
 * monitoring), a list of environments (items with database:) or a check file (items with name:). Every block
 * must parse; other YAML (a CI workflow, say) is not deploy.yml's to check.
 */
function examples(): Example[] {
  const files = [
    'README.md',
    ...readdirSync(join(ROOT, 'docs')).flatMap((f) => (f.endsWith('.md') ? [`docs/${f}`] : [])),
  ];
  const out: Example[] = [];
  for (const file of files) {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '```yaml') continue;
      const end = lines.findIndex((l, k) => k > i && l.trim() === '```');
      const where = `${file}:${i + 1}`;
      const text = lines.slice(i + 1, end).join('\n');
      let value: unknown;
      try {
        value = parse(text);
      } catch (e) {
        throw new Error(`${where}: the yaml block does not parse: ${(e as Error).message}`);
      }
      i = end;
      if (isMap(value) && DEPLOY_KEYS.some((k) => k in value))
        // A block that shows only other top-level keys (migrations: …) is checked with an environment added.
        out.push({ where, kind: 'deploy.yml', value: { environments: [PLACEHOLDER], ...value } });
      else if (Array.isArray(value) && value.length && value.every(isMap)) {
        if (value.every((v) => 'database' in v)) out.push({ where, kind: 'environments', value });
        else if (value.every((v) => 'name' in v)) out.push({ where, kind: 'checks', value });
      }
    }
  }
  return out;
}

describe('deploy.yml for editors: the published JSON Schema', () => {
  it.each(schemaFiles().map((f) => [f.path, f.text]))(
    '%s is what `npm run schema` generates now',
    (path, text) => {
      expect(
        readFileSync(join(ROOT, path), 'utf8'),
        `${path} is out of date with src/config-schema.ts: run \`npm run schema\` and commit ${path}`,
      ).toBe(text);
    },
  );

  it('the sample deploy.yml names the schema and is valid against it and the zod schema', () => {
    const text = readFileSync(join(ROOT, 'deploy.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=./${SCHEMA_PATH}`);
    expect(problems(parse(text), validateDeploy, fileSchema)).toEqual([]);
  });

  const found = examples();
  it('finds the examples in the docs', () => {
    expect(found.filter((e) => e.kind === 'deploy.yml').length).toBeGreaterThanOrEqual(3);
    expect(found.filter((e) => e.kind === 'checks').length).toBeGreaterThanOrEqual(2);
    expect(found.some((e) => e.kind === 'environments')).toBe(true);
  });

  it.each(found.map((e) => [e.where, e.kind, e] as const))('%s (%s) is valid', (_where, kind, e) => {
    if (kind === 'checks') expect(problems(e.value, validateChecks, checksFileSchema)).toEqual([]);
    else {
      const file = kind === 'environments' ? { environments: e.value } : e.value;
      expect(problems(file, validateDeploy, fileSchema)).toEqual([]);
    }
  });

  it('refuses what the bot refuses, and accepts both ways of writing the migrations folder and durations', () => {
    const env = { name: 'staging', database: '${STAGING_DATABASE_URL}' };
    const ok = (v: unknown) => validateDeploy(v);
    expect(ok({ environments: [env] })).toBe(true);
    expect(ok({ migrations: './db', environments: [env] })).toBe(true);
    expect(ok({ migrations: { path: './db', layout: 'prisma' }, environments: [env] })).toBe(true);
    expect(ok({ environments: [{ ...env, lockTimeout: '2s', statementTimeout: 300000 }] })).toBe(true);
    expect(ok({ environments: [{ ...env, checks: [{ name: 't', table: 'users' }] }] })).toBe(true);
    for (const bad of [
      {},
      { environments: [] },
      { colour: 'blue', environments: [env] },
      { environments: [{ name: 'staging' }] },
      { environments: [{ ...env, database: 'postgres://u:p@h/db' }] },
      { environments: [{ ...env, lockTimeout: 'soon' }] },
      { environments: [{ ...env, lockTimeout: -1 }] },
      { environments: [{ ...env, extra: 1 }] },
      { migrations: { path: './db', layout: 'rails' }, environments: [env] },
      { migrations: '', environments: [env] },
    ]) {
      expect(ok(bad), JSON.stringify(bad)).toBe(false);
      expect(fileSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    // Checks inside deploy.yml are checked by the check file's schema (zod: when the bot reads them).
    const typo = [{ name: 't', tabel: 'users' }];
    expect(ok({ environments: [{ ...env, checks: typo }] })).toBe(false);
    expect(checksFileSchema.safeParse(typo).success).toBe(false);
    expect(CHECKS_SCHEMA_PATH).toBe('schema/checks.schema.json');
  });
});
