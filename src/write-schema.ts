/** `npm run schema`: write the JSON Schemas of deploy.yml and check files under schema/ (config-json-schema.ts). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { schemaFiles } from './config-json-schema.js';

const root = join(import.meta.dirname, '..');
for (const f of schemaFiles()) {
  mkdirSync(dirname(join(root, f.path)), { recursive: true });
  writeFileSync(join(root, f.path), f.text);
  process.stdout.write(`wrote ${f.path}\n`);
}
