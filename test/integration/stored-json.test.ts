/**
 * Stored JSON on real PostgreSQL: a step result, an alert and a checkpoint's readings come back as they were
 * written, and a row whose JSON was changed under the bot is reported (which run, which step, what does not
 * parse), never cast and used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyResult, PreflightResult } from '../../src/deploy/results.js';
import { StoredShapeError } from '../../src/deploy/stored.js';
import type { Message } from '../../src/slack/mrkdwn.js';
import { findAlert, recordAlert, rememberAlertMessage } from '../../src/store/alerts.js';
import { batchContext } from '../../src/store/checkpoints.js';
import { openStore, type Store } from '../../src/store/db.js';
import { runAlerts, runCheckpoints } from '../../src/store/report.js';
import { loadStepResults, saveStepResult } from '../../src/store/step-results.js';
import { createTestDatabase } from '../support/pg.js';

let store: Store;

beforeAll(async () => {
  store = await openStore(await createTestDatabase('mg_stored'));
});

afterAll(async () => {
  await store?.close();
});

const sql = (text: string, params: unknown[] = []) => store.pool.query(text, params);

/** A run with steps staging preflight, apply, monitor; returns its id. */
async function aRun(): Promise<number> {
  const { rows } = await sql(`insert into migration_gate_state.runs (migration, requested_by, channel, status)
    values ('002_b', 'U0REQ', 'C1', 'running') returning id`);
  const id = rows[0].id as number;
  for (const [i, name] of ['preflight', 'apply', 'monitor'].entries())
    await sql(
      `insert into migration_gate_state.steps (run_id, idx, env, name, status) values ($1, $2, 'staging', $3, 'succeeded')`,
      [id, i, name],
    );
  return id;
}

const preflight: PreflightResult = {
  env: 'staging',
  ok: true,
  connectMs: 4,
  serverVersion: '15.18',
  pending: [
    { id: '001_a', checksum: 'a'.repeat(64), statements: 2 },
    { id: '002_b', checksum: 'b'.repeat(64), statements: 1, outsideTransaction: 'CREATE INDEX CONCURRENTLY' },
  ],
  alreadyApplied: false,
  drift: [],
  unknown: [],
  outOfOrder: [],
  metricsBaseline: {
    at: '2030-01-01T00:00:00.000Z',
    counters: { 'db.deadlocks': 3 },
    gauges: {},
    unavailable: { p95_query_ms: 'pg_stat_statements is not installed' },
  },
  rowCounts: { 'public.accounts': 12 },
  checks: 2,
};
const applied: ApplyResult = {
  env: 'staging',
  ok: true,
  files: [
    { id: '001_a', statements: 2, durationMs: 8, lockRetries: 1 },
    {
      id: '002_b',
      statements: 1,
      durationMs: 30,
      lockRetries: 0,
      outsideTransaction: 'CREATE INDEX CONCURRENTLY',
    },
  ],
  changes: [{ what: 'tables', added: ['public.accounts'], removed: [], changed: [] }],
  touchedTables: ['public.accounts'],
};
const judged = [
  { key: 'error_rate', value: 0.2, raw: 'warn', level: 'warn', streak: 1, line: '> 0.1%' },
] as const;

describe('step results', () => {
  it('round-trip: what a step stored comes back typed, by step index', async () => {
    const runId = await aRun();
    await saveStepResult(store.db, runId, 0, preflight);
    await saveStepResult(store.db, runId, 1, applied);
    const results = await loadStepResults(store.db, runId);
    expect([...results.entries()]).toEqual([
      [0, { name: 'preflight', env: 'staging', result: preflight }],
      [1, { name: 'apply', env: 'staging', result: applied }],
    ]);
  });

  it('a result changed under the bot is reported with its run, step and field, not cast', async () => {
    const runId = await aRun();
    await saveStepResult(store.db, runId, 0, preflight);
    await saveStepResult(store.db, runId, 1, applied);
    await sql(
      `update migration_gate_state.steps set result = jsonb_set(result, '{files,1,statements}', '"one"')
       where run_id = $1 and idx = 1`,
      [runId],
    );
    const load = loadStepResults(store.db, runId);
    await expect(load).rejects.toBeInstanceOf(StoredShapeError);
    await expect(load).rejects.toThrow(
      `run #${runId}, step 2 (staging apply), result does not parse: ` +
        'files.1.statements: Invalid input: expected number, received string',
    );
    // The monitor reads the same results for its baseline and touched tables: refused there too.
    await expect(batchContext(store.db, [runId])).rejects.toThrow(`run #${runId}, step 2 (staging apply)`);
  });

  it('a result stored on a step that stores none is reported', async () => {
    const runId = await aRun();
    await saveStepResult(store.db, runId, 2, applied);
    await expect(loadStepResults(store.db, runId)).rejects.toThrow(
      `run #${runId}, step 3 (staging monitor), result is stored, but monitor steps store none`,
    );
  });
});

describe('alerts', () => {
  it('one shape from the first write on: { judged }, then { judged, message } once posted', async () => {
    const runId = await aRun();
    const id = await recordAlert(store.db, { runId, stepIndex: 2, level: 'warn', judged });
    const {
      rows: [first],
    } = await sql('select metrics from migration_gate_state.alerts where id = $1', [id]);
    expect(first.metrics).toEqual({ judged });
    const message: Message = {
      text: 'error_rate over its warn line',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }],
    };
    await rememberAlertMessage(store.db, id, 'C1', '1.000100', { judged, message });
    expect((await findAlert(store.db, id))?.record).toEqual({ judged, message });
    expect((await runAlerts(store.db, runId)).map((a) => a.judged)).toEqual([judged]);
  });

  it('an alert written before, as a bare array of readings, still reads back', async () => {
    const runId = await aRun();
    const { rows } = await sql(
      `insert into migration_gate_state.alerts (run_id, step_index, level, metrics) values ($1, 2, 'critical', $2)
       returning id`,
      [runId, JSON.stringify(judged)],
    );
    expect((await findAlert(store.db, rows[0].id))?.record).toEqual({ judged });
    expect((await runAlerts(store.db, runId)).map((a) => a.judged)).toEqual([judged]);
  });

  it('an alert record of another shape is reported, naming the alert', async () => {
    const runId = await aRun();
    const { rows } = await sql(
      `insert into migration_gate_state.alerts (run_id, step_index, level, metrics) values ($1, 2, 'warn', $2)
       returning id`,
      [runId, JSON.stringify({ readings: judged })],
    );
    const id = rows[0].id;
    await expect(findAlert(store.db, id)).rejects.toThrow(
      `alert ${id}, metrics does not parse: judged: Invalid input: expected array, received undefined`,
    );
    await expect(runAlerts(store.db, runId)).rejects.toThrow(`alert ${id}, metrics does not parse`);
  });
});

describe('checkpoint readings', () => {
  it('come back typed; a reading changed under the bot is reported with its run, step and checkpoint', async () => {
    const runId = await aRun();
    const sample = {
      at: '2030-01-01T00:05:00.000Z',
      counters: { 'db.deadlocks': 4 },
      gauges: {},
      unavailable: {},
    };
    await sql(
      `insert into migration_gate_state.checkpoints (run_id, idx, seq, due_at, status, taken_at, sample, judged)
       values ($1, 2, 1, '2030-01-01T00:05:00Z', 'done', '2030-01-01T00:05:00Z', $2, $3),
              ($1, 2, 2, '2030-01-01T00:10:00Z', 'pending', null, null, null)`,
      [runId, JSON.stringify(sample), JSON.stringify(judged)],
    );
    const rows = (await batchContext(store.db, [runId])).rows;
    expect(rows.map((r) => [r.seq, r.sample, r.judged])).toEqual([
      [1, sample, judged],
      [2, undefined, undefined],
    ]);
    expect((await runCheckpoints(store.db, runId)).map((r) => r.judged)).toEqual([judged, undefined]);

    await sql(
      `update migration_gate_state.checkpoints set judged = '[{"key": "error_rate", "level": "loud"}]'
       where run_id = $1 and seq = 1`,
      [runId],
    );
    await expect(runCheckpoints(store.db, runId)).rejects.toThrow(
      new RegExp(`^run #${runId}, step 3, checkpoint 1, judged does not parse: 0\\.raw: Invalid option`),
    );
    await sql(
      `update migration_gate_state.checkpoints set judged = $2, sample = '{"at": 5}' where run_id = $1 and seq = 1`,
      [runId, JSON.stringify(judged)],
    );
    await expect(batchContext(store.db, [runId])).rejects.toThrow(
      `run #${runId}, step 3, checkpoint 1, sample does not parse: at: Invalid input: expected string, received number`,
    );
  });
});
