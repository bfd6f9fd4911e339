/**
 * The cards an approver reads, over representative runs: a 100-file run, a run with failures, a rollback gate.
 * A wrong or cut list fails here.
 */
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/deploy/checks.js';
import { planRollback } from '../../src/deploy/rollback-plan.js';
import type { Run, Step } from '../../src/deploy/types.js';
import { checksReply } from '../../src/slack/check-blocks.js';
import { approvalCard, type GateView } from '../../src/slack/gate-blocks.js';
import type { Message } from '../../src/slack/mrkdwn.js';
import { runCard } from '../../src/slack/run-card.js';

const AT = '2026-11-22T10:00:00.000Z';
const id = (i: number) => `${String(i).padStart(3, '0')}_step_${i}`;
const sha = (i: number) => i.toString(16).padStart(64, 'a');

function run(steps: Step[], extra: Partial<Run> = {}): Run {
  return {
    id: 7,
    migration: id(100),
    requestedBy: 'U0REQ',
    channel: 'C1',
    status: 'running',
    steps,
    checksums: {},
    version: 1,
    createdAt: AT,
    ...extra,
  };
}

const text = (m: Message) =>
  (m.blocks as { type: string; text?: { text: string } }[])
    .filter((b) => b.type === 'section')
    .map((b) => b.text!.text)
    .join('\n');

const gate = (files: GateView['files'], extra: Partial<GateView> = {}): GateView => ({
  env: 'production',
  index: 1,
  digest: 'd',
  approvals: [],
  progress: { rules: [{ role: 'dba', need: 1, approvers: [] }], satisfied: false } as never,
  files,
  ...extra,
});

describe('the approval card', () => {
  const hundred = Array.from({ length: 100 }, (_, k) => ({
    id: id(k + 1),
    checksum: sha(k + 1),
    statements: k + 1,
    ...(k === 41 ? { outsideTransaction: 'CREATE INDEX CONCURRENTLY' } : {}),
  }));
  const waiting = run([
    { env: 'production', name: 'preflight', status: 'succeeded', summary: '100 files to apply' },
    { env: 'production', name: 'approval', status: 'waiting' },
  ]);

  it('lists all 100 pending files, in order, with checksums, within Slack limits, and nothing says truncated', () => {
    const m = approvalCard(waiting, gate(hundred));
    const body = text(m);
    const listed = [...body.matchAll(/• `([^`]+)\.sql` sha256 `([0-9a-f]{12})` · (\d+) statements?/g)];
    expect(listed.map((x) => x[1])).toEqual(hundred.map((f) => f.id));
    expect(listed.map((x) => x[2])).toEqual(hundred.map((f) => f.checksum.slice(0, 12)));
    expect(body).toContain('exactly these 100 files, in this order:');
    expect(body).toContain(
      '`042_step_42.sql` sha256 `aaaaaaaaaaaa` · 42 statements · outside a transaction (CREATE INDEX CONCURRENTLY)',
    );
    expect(body).not.toContain('truncated');
    expect(m.blocks.length).toBeLessThanOrEqual(50);
    for (const b of m.blocks as { text?: { text: string } }[])
      expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
  });

  it.each([
    { files: [hundred[0]!], says: 'exactly this file, in this order:' },
    { files: undefined, says: 'are not known (its preflight result is missing): do not approve' },
  ])('says exactly what it knows: $says', ({ files, says }) => {
    expect(text(approvalCard(waiting, gate(files)))).toContain(says);
  });

  it('a rollback gate names what is undone and what stays', () => {
    const rb = run(
      [
        { env: 'production', name: 'verify', status: 'failed' },
        { env: 'production', name: 'approval', status: 'waiting', purpose: 'rollback' },
      ],
      { endedBy: 'U0DBA', reason: 'Verification failed on production: x.' },
    );
    const plan = planRollback(['001_a', '013_b', '024_c'], (f) => f === '024_c');
    const body = text(approvalCard(rb, gate(undefined, { rollback: plan })));
    expect(body).toContain('*Rollback approval needed: production*');
    expect(body).toContain(
      'Will undo on production, newest first: `024_c` (`024_c.down.sql`). `001_a`, `013_b` stay applied: no down file for `001_a`, `013_b`',
    );
  });
});

describe('the run card', () => {
  it.each([
    {
      name: 'a 100-file run waiting at the production gate',
      steps: [
        {
          env: 'staging',
          name: 'preflight',
          status: 'succeeded',
          summary:
            '100 files to apply: 001_step_1, 002_step_2, 003_step_3, 004_step_4, 005_step_5 and 95 more',
        },
        { env: 'staging', name: 'apply', status: 'succeeded', summary: '3.2 s (+100 tables)' },
        {
          env: 'production',
          name: 'preflight',
          status: 'succeeded',
          summary: 'nothing to apply on production',
        },
        { env: 'production', name: 'approval', status: 'skipped', summary: 'nothing to apply on production' },
      ] as Step[],
      expect: [
        '*staging:*  ✅ preflight 100 files to apply: 001_step_1, 002_step_2, 003_step_3, 004_step_4, 005_step_5 and 95 more  ·  ✅ apply 3.2 s (+100 tables)',
        '*production:*  ✅ preflight nothing to apply on production  ·  ⏭️ approval nothing to apply on production',
      ],
      buttons: ['Cancel'],
    },
    {
      name: 'an apply that failed after earlier files went in',
      steps: [
        {
          env: 'staging',
          name: 'preflight',
          status: 'succeeded',
          summary: '2 files to apply: 035_ok, 040_bad',
        },
        { env: 'staging', name: 'apply', status: 'blocked', summary: 'failed' },
        { env: 'staging', name: 'verify', status: 'pending' },
      ] as Step[],
      expect: ['*staging:*  ✅ preflight 2 files to apply: 035_ok, 040_bad  ·  ⛔ apply failed  ·  ▫️ verify'],
      buttons: ['Roll back', 'Cancel'],
    },
    {
      name: 'a failed verification',
      steps: [
        { env: 'staging', name: 'apply', status: 'succeeded', summary: '12 ms' },
        { env: 'staging', name: 'verify', status: 'blocked', summary: '1/2' },
      ] as Step[],
      expect: ['*staging:*  ✅ apply 12 ms  ·  ⛔ verify 1/2'],
      buttons: ['Roll back', 'Re-run verification', 'Cancel'],
    },
  ])('$name', ({ steps, expect: lines, buttons }) => {
    const m = runCard(run(steps));
    for (const l of lines) expect(text(m)).toContain(l);
    const shown = (m.blocks as { type: string; elements?: { text: { text: string } }[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements!.map((e) => e.text.text));
    expect(shown).toEqual(buttons);
  });
});

describe("the Roll back button's confirm dialog", () => {
  const dialog = (steps: Step[]) => {
    const buttons = (runCard(run(steps)).blocks as { type: string; elements?: object[] }[])
      .filter((b) => b.type === 'actions')
      .flatMap(
        (b) =>
          b.elements as {
            text: { text: string };
            confirm?: { title: { text: string }; text: { text: string } };
          }[],
      );
    const b = buttons.find((e) => /Roll back|Resume rollback/.test(e.text.text))!;
    return [b.confirm!.title.text, b.confirm!.text.text];
  };

  it('says what pressing it does, in a sentence that reads right', () => {
    expect(
      dialog([{ env: 'staging', name: 'apply', status: 'blocked', summary: 'failed' }] as Step[]),
    ).toEqual([
      'Roll back staging?',
      "This runs this run's down files on staging: the files it applied there are undone, newest first, back to the first one without a down file.",
    ]);
    expect(
      dialog([
        { env: 'staging', name: 'apply', status: 'succeeded', summary: '12 ms' },
        { env: 'staging', name: 'rollback', status: 'blocked', summary: 'interrupted' },
      ] as Step[]),
    ).toEqual([
      'Resume rollback staging?',
      "This runs the rest of this run's down files on staging: the files it applied there that are not rolled back yet are undone, newest first.",
    ]);
  });
});

describe('the checks reply', () => {
  const result = (
    name: string,
    status: CheckResult['status'],
    severity: CheckResult['severity'] = 'blocker',
  ) =>
    ({
      name,
      kind: 'sql',
      severity,
      source: 'x.checks.yml',
      status,
      target: '= 0',
      actual: status === 'pass' ? '0' : '3',
      durationMs: 1,
    }) as CheckResult;

  it('says how many passed and which blockers failed; every check is in the table', () => {
    const results = [
      result('a', 'pass'),
      result('b', 'fail'),
      result('c', 'fail', 'warning'),
      result('d', 'error'),
    ];
    const m = checksReply({
      env: 'production',
      ok: false,
      results,
      summary: { total: 4, passed: 1, failed: 3, warnings: 1, blockersFailed: 2, skipped: 0 } as never,
      durationMs: 5,
    });
    const table = JSON.stringify(m.blocks.filter((b) => b.type === ('table' as never)));
    for (const name of ['a', 'b', 'c', 'd']) expect(table).toContain(`"${name}"`);
    expect(m.text).toMatch(/production/);
  });
});
