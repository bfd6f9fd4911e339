/**
 * Every duration a person reads is written one way (deploy/duration-text.ts: 840 ms, 8.1 s, 2 min 5 s, 3 h 12 min):
 * the run card's length, the preflight and apply replies, the baseline preflight and a lock wait's sentence.
 */
import { describe, expect, it } from 'vitest';
import type { ApplyResult, PreflightResult } from '../../src/deploy/results.js';
import type { Run } from '../../src/deploy/types.js';
import { baselinePreflightReply } from '../../src/slack/baseline-blocks.js';
import { applyReply, preflightReply } from '../../src/slack/blocks.js';
import type { Message } from '../../src/slack/mrkdwn.js';
import { runCard } from '../../src/slack/run-card.js';

const all = (m: Message) => JSON.stringify(m.blocks).replace(/\\n/g, '\n');

const preflight = (connectMs: number): PreflightResult => ({
  env: 'production',
  ok: true,
  connectMs,
  serverVersion: '15.18',
  pending: [{ id: '001_a', checksum: 'a'.repeat(64), statements: 1 }],
  alreadyApplied: false,
  drift: [],
  unknown: [],
  outOfOrder: [],
});

describe('durations people read', () => {
  it("the run card of a 20-minute run says '20 min 5 s', not '1205.0 s'", () => {
    const run: Run = {
      id: 3,
      migration: '001_a',
      requestedBy: 'U0REQ',
      channel: 'C1',
      status: 'succeeded',
      steps: [{ env: 'production', name: 'apply', status: 'succeeded' }],
      checksums: {},
      version: 1,
      createdAt: '2026-03-03T10:00:00.000Z',
      finishedAt: '2026-03-03T10:20:05.000Z',
    };
    expect(all(runCard(run))).toContain('✅ Succeeded in 20 min 5 s');
  });

  it("a slow connection reads '1.5 s' in the preflight replies, a fast one '4 ms'", () => {
    expect(all(preflightReply(preflight(1500)))).toContain('PostgreSQL 15.18 · connected in 1.5 s');
    expect(all(baselinePreflightReply(preflight(1500)))).toContain('PostgreSQL 15.18 · connected in 1.5 s');
    expect(all(preflightReply(preflight(4)))).toContain('connected in 4 ms');
  });

  it("a file applied in 2 minutes reads '2 min 5 s', and a lock wait's ages read the same way", () => {
    const r: ApplyResult = {
      env: 'production',
      ok: true,
      files: [
        {
          id: '001_a',
          statements: 1,
          durationMs: 125_000,
          lockRetries: 1,
          lockWaits: [
            {
              attempt: 1,
              timeoutMs: 100,
              code: '55P03',
              blockers: [
                {
                  pid: 42,
                  application: 'reporting-job',
                  state: 'idle in transaction',
                  transactionMs: 90_000,
                  query: 'select 1',
                },
              ],
              waitedMs: 3_725_000,
            },
          ],
        },
      ],
    };
    const text = all(applyReply(r));
    expect(text).toContain('`001_a.sql` · 1 statement in 2 min 5 s · 1 lock retry');
    expect(text).toContain(
      'waiting for pid 42, reporting-job, idle in transaction for 1 min 30 s: select 1 when first seen (1 attempt gave up after 100 ms, then 1 h 2 min waiting without queueing)',
    );
  });

  it('attempts that gave up after different timeouts past a second say both as durations', () => {
    const wait = (attempt: number, timeoutMs: number) => ({
      attempt,
      timeoutMs,
      code: '55P03',
      blockers: [],
    });
    const r: ApplyResult = {
      env: 'production',
      ok: true,
      files: [
        {
          id: '001_a',
          statements: 1,
          durationMs: 5,
          lockRetries: 2,
          lockWaits: [wait(1, 400), wait(2, 1600)],
        },
      ],
    };
    expect(all(applyReply(r))).toContain('2 attempts gave up after 400 ms–1.6 s');
  });
});
