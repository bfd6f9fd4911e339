import { describe, expect, it } from 'vitest';
import { adoptForeign, compareVersions, type ForeignLedger } from '../../src/deploy/foreign-ledger.js';
import { describeRecorded, planPending } from '../../src/deploy/ledger.js';

const file = (id: string, version: string) => ({ id, version, checksum: `sum-${id}` });
const ledger = (tool: ForeignLedger['tool'], rows: ForeignLedger['rows']): ForeignLedger => ({
  tool,
  table: 't',
  qualified: '"t"',
  columns: [],
  rows,
});

describe('other tools’ ledgers', () => {
  it('orders versions as the tools do', () => {
    expect(compareVersions('13.1', '13.10')).toBe(-1);
    expect(compareVersions('1.0', '1')).toBe(0);
    expect(compareVersions('002', '10')).toBe(-1);
    expect(compareVersions('20240101000000_a', '20240102000000_b')).toBe(-1);
  });

  it('flyway: a baseline covers lower versions, an undo takes one back', () => {
    const files = [file('V1__a', '1'), file('V1.1__b', '1.1'), file('V2__c', '2'), file('V3__d', '3')];
    const { entries } = adoptForeign(files, [
      ledger('flyway', [
        { version: '1.1', kind: 'upto' },
        { version: '2' },
        { version: '3' },
        { version: '3', kind: 'undone' },
      ]),
    ]);
    expect(entries.map((e) => e.id)).toEqual(['V1__a', 'V1.1__b', 'V2__c']);
  });

  it('golang-migrate: its version and everything below are applied; a missing version is reported', () => {
    const files = [file('0001_a', '0001'), file('0002_b', '0002'), file('0004_c', '0004')];
    const plan = planPending(files, [], '0004_c', [
      ledger('golang-migrate', [{ version: '3', kind: 'upto' }]),
    ]);
    expect(plan.pending.map((f) => f.id)).toEqual(['0004_c']);
    expect(plan.unknown.map((u) => u.id)).toEqual(['3']);
    expect(plan.recordedBy).toEqual([{ by: 'golang-migrate', count: 2 }]);
  });

  it('prisma: a different checksum is drift that says who recorded it; our own row wins', () => {
    const files = [file('20240101000000_a', '20240101000000'), file('20240102000000_b', '20240102000000')];
    const own = [
      {
        id: '20240102000000_b',
        version: '20240102000000',
        checksum: 'sum-20240102000000_b',
        appliedAt: 'x',
        appliedBy: 'U1',
        runId: 1,
      },
    ];
    const plan = planPending(files, own, '20240102000000_b', [
      ledger('prisma', [
        { version: '20240101000000_a', checksum: 'other', appliedAt: '2024-01-01 00:00:00 UTC' },
        { version: '20240102000000_b', checksum: 'other' },
      ]),
    ]);
    expect(plan.drift).toEqual([
      {
        id: '20240101000000_a',
        ledgerChecksum: 'other',
        fileChecksum: 'sum-20240101000000_a',
        appliedAt: '2024-01-01 00:00:00 UTC',
        recordedBy: 'Prisma',
      },
    ]);
    expect(describeRecorded(plan.recordedBy!)).toBe('2 applied: 1 recorded by Prisma, 1 by migration-gate');
  });

  it('a failed Prisma row and a dirty golang-migrate version are unfinished', () => {
    const plan = planPending([file('001_a', '001')], [], '001_a', [
      ledger('prisma', [{ version: '001_a', kind: 'failed' }]),
    ]);
    expect(plan.unfinished).toEqual([{ tool: 'prisma', table: 't', version: '001_a' }]);
    expect(plan.pending.map((f) => f.id)).toEqual(['001_a']);
  });
});
