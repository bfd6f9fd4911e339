/** The pure parts of `migration-gate status` and `plan`: what is applied where, exit codes, which trace a file gets. */
import { describe, expect, it } from 'vitest';
import { blockersOf, lintCell, lintCountsOf } from '../../src/deploy/env-plan.js';
import { cellOf, envStatus, statusExitCode, unread } from '../../src/deploy/env-status.js';
import type { ForeignLedger } from '../../src/deploy/foreign-ledger.js';
import { inFlight, whereNow } from '../../src/deploy/in-flight.js';
import { knownTraces, relationsOf, type StoredApply, traceLines } from '../../src/deploy/known-traces.js';
import type { LedgerEntry } from '../../src/deploy/ledger.js';
import type { LintReport } from '../../src/deploy/lint.js';
import type { TracedStatement } from '../../src/deploy/lock-trace.js';
import type { Run } from '../../src/deploy/types.js';

const file = (id: string, checksum = `sum-${id}`) => ({
  id,
  version: id.slice(0, 3),
  checksum,
  fileName: `${id}.sql`,
});
const FILES = [file('001_a'), file('002_b'), file('003_c')];
const own = (id: string, checksum = `sum-${id}`, extra: Partial<LedgerEntry> = {}): LedgerEntry => ({
  id,
  version: id.slice(0, 3),
  checksum,
  appliedAt: '2024-05-01 12:00:00 UTC',
  appliedBy: 'U1',
  runId: 7,
  ...extra,
});
const dbmate: ForeignLedger = {
  tool: 'dbmate',
  table: 'schema_migrations',
  qualified: '"public"."schema_migrations"',
  columns: ['version'],
  rows: [{ version: '001' }, { version: '002' }],
};

describe('status: one environment', () => {
  it('lists the bot’s rows and another tool’s, the bot’s first; pending in order', () => {
    const s = envStatus('production', FILES, { own: [own('002_b')], foreign: [dbmate] }, '15.4');
    expect(s.applied.map((a) => [a.id, a.recordedBy, a.runId, a.appliedAt])).toEqual([
      ['001_a', 'dbmate', null, null],
      ['002_b', 'migration-gate', 7, '2024-05-01 12:00:00 UTC'],
    ]);
    expect(s.pending).toEqual([{ id: '003_c', file: '003_c.sql' }]);
    expect(cellOf(s, '001_a')).toBe('applied (dbmate)');
    expect(cellOf(s, '002_b')).toBe('applied 2024-05-01 12:00');
    expect(cellOf(s, '003_c')).toBe('pending');
    expect(statusExitCode([s])).toBe(0);
  });

  it('drift and a baseline show in the cells; drift or a dirty foreign ledger exits 1, an unread environment 2', () => {
    const s = envStatus(
      'staging',
      FILES,
      {
        own: [own('001_a', 'other'), own('002_b', 'sum-002_b', { baselined: true, runId: null })],
        foreign: [],
      },
      '15.4',
    );
    expect(s.drift).toEqual([expect.objectContaining({ id: '001_a', ledgerChecksum: 'other' })]);
    expect(cellOf(s, '001_a')).toBe('DRIFT');
    expect(cellOf(s, '002_b')).toBe('baselined 2024-05-01 12:00');
    expect(statusExitCode([s])).toBe(1);
    const dirty = envStatus(
      'qa',
      FILES,
      {
        own: [],
        foreign: [{ ...dbmate, tool: 'golang-migrate', rows: [{ version: '2', kind: 'failed' }] }],
      },
      '15.4',
    );
    expect(dirty.unfinished).toEqual([{ tool: 'golang-migrate', table: 'schema_migrations', version: '2' }]);
    expect(statusExitCode([dirty])).toBe(1);
    const gone = unread('production', 'production: could not connect.');
    expect(cellOf(gone, '001_a')).toBe('not read');
    expect(statusExitCode([s, gone])).toBe(2);
  });

  it('a ledger row with no file is unknown, with who recorded it', () => {
    const s = envStatus('staging', FILES, { own: [own('000_old')], foreign: [] }, '15.4');
    expect(s.unknown).toEqual([{ id: '000_old', recordedBy: 'migration-gate' }]);
  });
});

describe('status: a run in flight', () => {
  const run = {
    id: 4,
    migration: '003_c',
    requestedBy: 'U1',
    createdAt: '2024-05-01T12:00:00.000Z',
    steps: [
      { env: 'staging', name: 'apply', status: 'succeeded' },
      { env: 'production', name: 'approval', status: 'waiting' },
      { env: 'production', name: 'apply', status: 'pending' },
    ],
  } as unknown as Run;
  it('says where it is now and which environments it goes through', () => {
    const r = inFlight(run);
    expect(r).toMatchObject({
      environments: ['staging', 'production'],
      step: { index: 1, name: 'approval' },
    });
    expect(whereNow(r)).toBe('approval: deploy to production (waiting)');
  });
  it("a gate is named by what it decides: a rollback's, a stage's, an after: action's", () => {
    const at = (step: object) =>
      whereNow(
        inFlight({ ...run, steps: [{ env: 'production', name: 'apply', status: 'failed' }, step] } as Run),
      );
    expect(at({ env: 'production', name: 'approval', status: 'waiting', purpose: 'rollback' })).toBe(
      'approval: rollback on production (waiting)',
    );
    expect(at({ env: 'production', name: 'approval', status: 'waiting', stage: 'dba' })).toBe(
      'approval: deploy to production, stage 1 of 1: dba (waiting)',
    );
    expect(
      at({ env: 'production', name: 'approval', status: 'scheduled', after: { label: 'merge acme/app#42' } }),
    ).toBe('approval: merge acme/app#42 after production (scheduled)');
  });
  it('a run not begun is at its first pending step', () => {
    const fresh = { ...run, steps: run.steps.map((s) => ({ ...s, status: 'pending' })) } as Run;
    expect(whereNow(inFlight(fresh))).toBe('staging apply (pending)');
  });
});

const trace = (relation: string): TracedStatement[] => [
  {
    statement: 1,
    line: 1,
    text: 'alter table users add column x int',
    locks: [{ relation, mode: 'AccessExclusiveLock', rewrite: false }],
    rows: null,
    heldMs: 12,
  },
];
const apply = (
  runId: number,
  env: string,
  files: Record<string, string>,
  traces: Record<string, TracedStatement[]>,
): StoredApply => ({
  runId,
  env,
  finishedAt: `2024-05-0${runId}T00:00:00.000Z`,
  checksums: files,
  result: {
    env,
    ok: true,
    files: Object.keys(files).map((id) => ({
      id,
      file: `${id}.sql`,
      statements: 1,
      durationMs: 1,
      lockRetries: 0,
      ...(traces[id] ? { lockTrace: traces[id] } : {}),
    })),
  },
});

describe('plan: the lock trace each file gets', () => {
  it('the newest apply elsewhere of the same text; an edited file or only this environment is not measured', () => {
    const applies = [
      apply(3, 'production', { '001_a': 'sum-001_a' }, { '001_a': trace('public.p') }),
      apply(2, 'staging', { '001_a': 'sum-001_a', '002_b': 'old' }, { '001_a': trace('public.new') }),
      apply(1, 'qa', { '001_a': 'sum-001_a', '002_b': 'old' }, { '001_a': trace('public.old') }),
    ];
    const got = knownTraces(applies, [file('001_a'), file('002_b'), file('003_c')], 'production');
    expect(got.get('001_a')).toMatchObject({ measuredOn: 'staging', runId: 2 });
    expect(got.get('002_b')).toBeNull();
    expect(got.get('003_c')).toBeNull();
    expect(relationsOf(got.values())).toEqual(['public.new']);
  });

  it('a file applied without a strong lock is measured, with nothing to show', () => {
    const got = knownTraces(
      [apply(1, 'staging', { '001_a': 'sum-001_a' }, {})],
      [file('001_a')],
      'production',
    );
    expect(traceLines('001_a.sql', got.get('001_a')!, 'production', [])).toEqual([
      '001_a.sql: no lock stronger than ROW EXCLUSIVE on an existing table (measured on staging, run #1)',
    ]);
    expect(traceLines('002_b.sql', null, 'production', [], false)).toEqual(['002_b.sql: not measured']);
    expect(
      traceLines(
        '001_a.sql',
        { measuredOn: 'staging', runId: 1, appliedAt: null, statements: trace('public.users') },
        'production',
        [{ relation: 'public.users', rows: 1_200_000, bytes: 310 * 1024 * 1024 }],
      ),
    ).toEqual([
      '001_a.sql:1 alter table users add column x int → ACCESS EXCLUSIVE on public.users, no rewrite, held 12 ms on staging; production: ~1.2 M rows, 310 MB',
    ]);
  });
});

describe('plan: what blocks', () => {
  const lint: LintReport = {
    files: 2,
    findings: [
      { rule: 'r1', level: 'error', file: '002_b.sql', line: 1, column: 1, message: 'm' },
      { rule: 'r2', level: 'error', file: '002_b.sql', line: 2, column: 1, message: 'm', allowed: 'why' },
      { rule: 'r3', level: 'warning', file: '003_c.sql', line: 1, column: 1, message: 'm' },
    ],
    more: 0,
    errors: 1,
    warnings: 1,
    allowed: 1,
    problems: [],
  };
  it('lists every reason in the order preflight meets them', () => {
    const b = blockersOf('production', {
      unfinished: [{ tool: 'prisma', table: '_prisma_migrations', version: '001_a' }],
      drift: [{ id: '001_a', ledgerChecksum: 'a'.repeat(64), fileChecksum: 'b'.repeat(64), appliedAt: '' }],
      fileProblems: ['002_b.sql:3:1: syntax error at or near "x". Fix the SQL and run again.'],
      checkProblems: ['003_c.checks.yml: bad'],
      lint,
    });
    expect(b.map((x) => x.slice(0, 30))).toEqual([
      'Prisma recorded 001_a on produ',
      '002_b.sql:3:1: syntax error at',
      '001_a.sql was applied on produ',
      'Check files are not valid: 003',
      'Lint found 1 error in the pend',
    ]);
    expect(
      blockersOf('production', {
        unfinished: [],
        drift: [],
        fileProblems: [],
        checkProblems: [],
        lint: { ...lint, errors: 0 },
      }),
    ).toEqual([]);
  });
  it('counts each file’s findings by level', () => {
    expect(lintCountsOf(lint, '002_b.sql')).toEqual({ errors: 1, warnings: 0, allowed: 1 });
    expect(lintCell(lintCountsOf(lint, '002_b.sql'))).toBe('1 error, 1 allowed');
    expect(lintCell(lintCountsOf(lint, '003_c.sql'))).toBe('1 warning');
    expect(lintCell(lintCountsOf(null, '003_c.sql'))).toBe('no findings');
  });
});
