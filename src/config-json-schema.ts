/**
 * deploy.yml's JSON Schema, for editors (yaml-language-server, VS Code, JetBrains), generated from its zod shape
 * (config-schema.ts) in input mode: keys with defaults stay optional; and a check file's. `npm run schema` writes
 * them under schema/; a unit test fails when a committed file differs from what this generates. What zod's refinements check
 * (a rule needs users or a usergroup, a monitor plan must exist, …) is left to the bot, which says it with a line.
 */
import { z } from 'zod';
import { DURATION, duration, fileSchema, migrationsSchema } from './config-schema.js';
import { checkSchema } from './deploy/check-schema.js';
import { lintJsonSchema, lintSchema } from './deploy/lint-rules.js';

/** Where the schemas are published, relative to the repository root. */
export const SCHEMA_PATH = 'schema/deploy.schema.json';
export const CHECKS_SCHEMA_PATH = 'schema/checks.schema.json';

type Json = Record<string, unknown>;

/** Replace a node's content in place (zod's override hands us the object it will emit). */
function replace(node: Json, by: Json): void {
  for (const key of Object.keys(node)) delete node[key];
  Object.assign(node, by);
}

const DURATION_JSON: Json = {
  description: 'A duration: 500ms, 2s, 5m, 1h, 1d, or a number of milliseconds.',
  anyOf: [
    { type: 'string', pattern: DURATION.source },
    { type: 'number', minimum: 0 },
  ],
};

/**
 * A check as a check file writes it (environments[].checks takes the same list), and the definitions it refers to
 * (an expectation's JSON value is recursive), renamed so they can live beside the file's own at the root.
 */
function checkJson(): { check: Json; definitions: Json } {
  const text = JSON.stringify(z.toJSONSchema(checkSchema, { io: 'input', target: 'draft-7' }));
  const {
    $schema: _,
    definitions = {},
    ...check
  } = JSON.parse(text.replaceAll('"#/definitions/', '"#/definitions/check')) as Json;
  return {
    check,
    definitions: Object.fromEntries(Object.entries(definitions as Json).map(([k, v]) => [`check${k}`, v])),
  };
}

/** The schema as an object (draft-07: what yaml-language-server and most editors read best). */
export function deployJsonSchema(): Json {
  const checks = checkJson();
  const schema = z.toJSONSchema(fileSchema, {
    io: 'input',
    target: 'draft-7',
    override: ({ zodSchema, jsonSchema, path }) => {
      const node = jsonSchema as Json;
      if (zodSchema === duration) replace(node, { ...DURATION_JSON, ...pick(node, 'default') });
      else if (zodSchema === migrationsSchema)
        // `migrations: ./dir` is read as { path: ./dir } before the object is checked.
        replace(node, {
          description:
            'The migrations folder, relative to deploy.yml, or { path, layout } (docs/layouts.md).',
          anyOf: [{ type: 'string', minLength: 1 }, { ...node }],
        });
      else if (zodSchema === lintSchema) replace(node, lintJsonSchema());
      else if (path.join('/') === 'properties/environments/items/properties/checks/items')
        replace(node, checks.check);
    },
  }) as Json;
  const envChecks = (schema as { properties?: { environments?: { items?: { properties?: Json } } } })
    .properties?.environments?.items?.properties?.checks as { items?: Json } | undefined;
  // A guard for whoever reshapes config-schema.ts: the override above must still find environments[].checks.
  if (!envChecks?.items?.properties)
    throw new Error('environments[].checks is no longer where config-json-schema.ts looks for it');
  const { $schema, definitions, ...rest } = schema;
  return {
    $schema,
    title: 'migration-gate deploy.yml',
    description:
      'Environments, approvals, windows, checks and monitoring for migration-gate (docs/configuration.md).',
    ...rest,
    // Each environment names its database, unless services: give one per service (then it must not).
    if: { not: { type: 'object', properties: { services: {} }, required: ['services'] } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else, not a thenable.
    then: {
      properties: {
        environments: {
          type: 'array',
          items: { type: 'object', properties: { database: {} }, required: ['database'] },
        },
      },
    },
    else: {
      properties: {
        environments: {
          type: 'array',
          items: {
            type: 'object',
            not: { type: 'object', properties: { database: {} }, required: ['database'] },
          },
        },
      },
    },
    definitions: { ...(definitions as Json | undefined), ...checks.definitions },
  };
}

function pick(node: Json, key: string): Json {
  return key in node ? { [key]: node[key] } : {};
}

/** A check file's schema (`<id>.checks.yml`: a list of checks, docs/configuration.md). */
export function checksJsonSchema(): Json {
  const { check, definitions } = checkJson();
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'migration-gate checks file',
    description: "A migration's checks, run by its verify step (docs/configuration.md).",
    type: 'array',
    items: check,
    definitions,
  };
}

/** Each published schema and its text exactly as committed: two-space JSON and a final newline. */
export function schemaFiles(): { path: string; text: string }[] {
  return [
    { path: SCHEMA_PATH, schema: deployJsonSchema() },
    { path: CHECKS_SCHEMA_PATH, schema: checksJsonSchema() },
  ].map((f) => ({ path: f.path, text: `${JSON.stringify(f.schema, null, 2)}\n` }));
}
