/**
 * `migration-gate status` and `plan` as a terminal or CI runs them, against real PostgreSQL (the project:
 * test/support/planned-project.ts). One spawn per scenario (each starts the CLI under tsx: seconds on a loaded
 * machine).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type PlannedProject, plannedProject } from '../support/planned-project.js';

let p: PlannedProject;
let runId: number;
let state: string;
let dir: string;
const all = () => p.all;
const cli = (env: Record<string, string>, ...args: string[]) => p.cli(env, ...args);

beforeAll(async () => {
  p = await plannedProject();
  ({ runId, state, dir } = p);
});

describe('migration-gate status and plan', { timeout: 120_000 }, () => {
  it('status --json: what is applied where (dbmate rows too), drift, pending and the runs in flight; exit 1 on drift', () => {
    const r = cli({ ...all(), DATABASE_URL: state }, 'status', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out);
    expect(json.environments.map((e: { env: string }) => e.env)).toEqual(['staging', 'production', 'legacy']);
    const [staging, production, legacy] = json.environments;
    expect(staging).toMatchObject({
      read: true,
      problem: null,
      drift: [],
      unfinished: [],
      unknown: [],
      outOfOrder: [],
    });
    expect(staging.serverVersion).toMatch(/^\d+\.\d+/);
    expect(staging.applied.map((a: { id: string }) => a.id)).toEqual([
      '001_users',
      '002_email_index',
      '003_user_name',
    ]);
    expect(staging.applied[0]).toEqual({
      id: '001_users',
      file: '001_users.sql',
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
      appliedAt: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/),
      appliedBy: 'U0ALICE',
      runId,
      recordedBy: 'migration-gate',
      baselined: false,
      drifted: false,
    });
    expect(staging.pending).toEqual([{ id: '004_orders', file: '004_orders.sql' }]);
    expect(production.applied).toEqual([
      expect.objectContaining({
        id: '001_users',
        recordedBy: 'dbmate',
        appliedAt: null,
        runId: null,
        drifted: false,
      }),
    ]);
    expect(production.pending.map((p: { id: string }) => p.id)).toEqual([
      '002_email_index',
      '003_user_name',
      '004_orders',
    ]);
    expect(legacy.drift).toEqual([
      expect.objectContaining({
        id: '001_users',
        ledgerChecksum: 'ab'.repeat(32),
        fileChecksum: staging.applied[0].checksum,
      }),
    ]);
    expect(legacy.applied[0]).toMatchObject({ id: '001_users', drifted: true });
    expect(json.runsInFlight).toEqual([
      {
        id: runId,
        migration: '003_user_name',
        requestedBy: 'U0ALICE',
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        environments: ['staging', 'production'],
        step: {
          index: 4,
          env: 'production',
          name: 'approval',
          status: 'waiting',
          gate: 'deploy to production',
        },
      },
    ]);
  });

  it('status as a table, exit 0 without drift; without DATABASE_URL it says runs in flight are not shown', () => {
    const r = cli(all(), 'status', '--env', 'staging', '--env', 'production');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Migration\s+staging\s+production$/m);
    expect(r.out).toMatch(/^001_users\s+applied \d{4}-\d\d-\d\d \d\d:\d\d\s+applied \(dbmate\)$/m);
    expect(r.out).toMatch(/^004_orders\s+pending\s+pending$/m);
    expect(r.out).toContain('production (PostgreSQL ');
    expect(r.out).toContain('1 applied (1 recorded by dbmate), 3 pending, no drift');
    expect(r.out).toContain(
      "Runs in flight are not shown: DATABASE_URL (the bot's state database) is not set.",
    );
    expect(r.out).not.toContain('legacy');
  });

  it('status with no --env reads every environment: one whose variable is unset is not read, exit 2', () => {
    const { LEGACY_DATABASE_URL: _, ...some } = all();
    const r = cli({ ...some, DATABASE_URL: state }, 'status');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^Migration\s+staging\s+production\s+legacy$/m);
    expect(r.out).toMatch(/^002_email_index\s+applied \S+ \S+\s+pending\s+not read$/m);
    expect(r.out).toContain('legacy: not read, LEGACY_DATABASE_URL is not set');
    expect(r.out).toMatch(
      /^#\d+\s+003_user_name\s+U0ALICE\s+.+UTC\s+approval: deploy to production \(waiting\)\s+staging → production$/m,
    );
  });

  it('plan --json: the files in order, lint, the lock trace staging measured with production sizes; exit 0', () => {
    const r = cli({ ...all(), DATABASE_URL: state }, 'plan', '--env', 'production', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({
      env: 'production',
      upTo: '004_orders',
      lockTracesRead: true,
      drift: [],
      unfinished: [],
      blockers: [],
      heldBy: { runId, requestedBy: 'U0ALICE' },
      notes: [],
    });
    expect(json.pending.map((p: { id: string }) => p.id)).toEqual([
      '002_email_index',
      '003_user_name',
      '004_orders',
    ]);
    const [index, column, orders] = json.pending;
    expect(index).toMatchObject({
      file: '002_email_index.sql',
      statements: 1,
      outsideTransaction: null,
      lint: { errors: 0, warnings: 1, allowed: 0 },
      lockTrace: { measuredOn: 'staging', runId },
    });
    expect(index.lockTrace.statements).toEqual([
      expect.objectContaining({
        statement: 1,
        line: 1,
        text: 'create index users_email on users (email)',
        locks: [{ relation: 'public.users', mode: 'ShareLock', rewrite: false }],
      }),
    ]);
    expect(column.lockTrace.statements[0].locks).toEqual([
      { relation: 'public.users', mode: 'AccessExclusiveLock', rewrite: false },
    ]);
    expect(orders.lockTrace).toBeNull();
    expect(json.lint).toMatchObject({ files: 3, errors: 0, warnings: 1 });
    expect(json.lint.findings[0]).toMatchObject({
      rule: 'require-concurrent-index-creation',
      file: '002_email_index.sql',
    });
    expect(json.relationSizes).toEqual([{ relation: 'public.users', rows: 1000, bytes: expect.any(Number) }]);
    expect(json.relationSizes[0].bytes).toBeGreaterThan(0);
  });

  it('plan as text with a lint error that blocks: the table, the finding, the trace lines with sizes; exit 1', () => {
    const r = cli(
      { ...all(), DATABASE_URL: state, DEPLOY_CONFIG: join(dir, 'strict.yml') },
      'plan',
      '--env',
      'production',
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^Plan for production \(PostgreSQL \S+\): 3 files to apply, in this order, up to 004_orders$/m,
    );
    expect(r.out).toMatch(/^#\s+File\s+Statements\s+Transaction\s+Lint\s+Lock trace$/m);
    expect(r.out).toMatch(
      new RegExp(
        `^1\\s+002_email_index\\.sql\\s+1\\s+one per file\\s+1 error\\s+on staging \\(run #${runId}\\)$`,
        'm',
      ),
    );
    expect(r.out).toMatch(/^3\s+004_orders\.sql\s+1\s+one per file\s+no findings\s+not measured$/m);
    expect(r.out).toContain('  migrations/002_email_index.sql:1:1: error require-concurrent-index-creation:');
    // The help line `lint` prints under a finding, printed by `plan` too.
    expect(r.out).toMatch(
      /^ {2}migrations\/002_email_index\.sql:1:1: error require-concurrent-index-creation: .*\n {4}help: Use `concurrently` to avoid blocking writes\.$/m,
    );
    expect(r.out).toMatch(
      /^ {2}002_email_index\.sql:1 create index users_email on users \(email\) → SHARE on public\.users, no rewrite, held \d+ ms on staging; production: ~1\.0 k rows, \d+ kB$/m,
    );
    expect(r.out).toMatch(
      /^ {2}003_user_name\.sql:1 .* → ACCESS EXCLUSIVE on public\.users, no rewrite, held \d+ ms on staging; production: ~1\.0 k rows/m,
    );
    expect(r.out).toContain(
      '  004_orders.sql: not measured (no other environment has applied this text of it)',
    );
    expect(r.out).toContain(`production is held by run #${runId} (requested by U0ALICE)`);
    expect(r.out).toContain('A deploy on production would stop at preflight (1 reason):');
    expect(r.out).toContain(
      '  - Lint found 1 error in the pending files (first: 002_email_index.sql:1:1 require-concurrent-index-creation)',
    );
  });

  it('plan on an environment with drift, without DATABASE_URL: not measured, the drift sentence; exit 1', () => {
    const r = cli(all(), 'plan', '--env', 'legacy');
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      "DATABASE_URL (the bot's state database) is not set, so no stored apply was read.",
    );
    expect(r.out).toMatch(/^ {2}002_email_index\.sql: not measured$/m);
    expect(r.out).toContain('A deploy on legacy would stop at preflight (1 reason):');
    expect(r.out).toMatch(
      / {2}- 001_users\.sql was applied on legacy at .* with checksum abababababab, but the file now has checksum [0-9a-f]{12}\./,
    );
  });

  it('exits 2 on a usage error, saying what was wrong', () => {
    const r = cli(all(), 'plan');
    expect(r.code).toBe(2);
    expect(r.err).toContain('Say which environment with --env (staging, production, legacy).');
    expect(r.err).toContain('Usage: migration-gate plan --env <environment>');
  });
});
