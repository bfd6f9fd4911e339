/**
 * The canary: this file must fail, and `.ci/run` checks that vitest exits non-zero on it, with the same global
 * setup (embedded PostgreSQL) as the real suite. It proves on every CI run that a failing test fails CI.
 * It is outside the unit/integration/e2e projects, so `npm test` never runs it.
 */
import pg from 'pg';
import { expect, inject, it } from 'vitest';

it('reaches the suite PostgreSQL (the setup that once swallowed the exit code is in play)', async () => {
  const c = new pg.Client({ connectionString: `${inject('pgBaseUrl')}postgres` });
  await c.connect();
  const { rows } = await c.query('select 1 as one');
  await c.end();
  expect(rows[0].one).toBe(1);
});

it('fails on purpose', () => {
  expect('this test').toBe('failing, so vitest must exit 1');
});
