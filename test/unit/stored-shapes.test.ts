/**
 * Stored JSON is parsed on its way out of the store: a step result, a checkpoint's readings or an alert record
 * that does not have its shape is refused with an error naming where it was and what does not parse.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { judgedSchema, rawSampleSchema } from '../../src/deploy/monitoring.js';
import type { ApplyResult, PreflightResult, VerifyResult } from '../../src/deploy/results.js';
import {
  latestResult,
  parseStepResult,
  resultOf,
  type StepResults,
  stepResult,
  whereResult,
} from '../../src/deploy/step-results.js';
import { parseStored, StoredShapeError, schemaOf } from '../../src/deploy/stored.js';
import type { Step } from '../../src/deploy/types.js';
import { parseAlertRecord } from '../../src/store/alerts.js';

const preflight = (env: string, ids: string[]): PreflightResult => ({
  env,
  ok: true,
  pending: ids.map((id) => ({ id, checksum: 'a'.repeat(64), statements: 1 })),
  alreadyApplied: false,
  drift: [],
  unknown: [],
  outOfOrder: [],
  metricsBaseline: {
    at: '2030-01-01T00:00:00.000Z',
    counters: { 'db.deadlocks': 3 },
    gauges: {},
    unavailable: {},
  },
});
const apply = (env: string, ids: string[]): ApplyResult => ({
  env,
  ok: true,
  files: ids.map((id) => ({ id, statements: 2, durationMs: 5, lockRetries: 0 })),
  touchedTables: ['public.accounts'],
});
const verify: VerifyResult = {
  env: 'staging',
  ok: true,
  results: [
    {
      name: 'no orphans',
      kind: 'sql',
      severity: 'blocker',
      source: '001.checks.yml',
      status: 'pass',
      target: '0 rows',
      actual: '0 rows',
      durationMs: 3,
    },
  ],
  summary: { passed: 1, total: 1, warnings: 0, blockersFailed: 0 },
  durationMs: 3,
};

const step = (env: string, name: Step['name']) => ({ env, name });
const where = (index: number, s: { env: string; name: string }) => whereResult(42, index, s);
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StoredShapeError);
    return (e as Error).message;
  }
  throw new Error('expected a StoredShapeError, got a value');
};

describe('step results', () => {
  it('a stored result parses back to what was stored, tagged with its step', () => {
    const stored = JSON.parse(JSON.stringify(apply('staging', ['001_a', '002_b'])));
    expect(parseStepResult(where(1, step('staging', 'apply')), step('staging', 'apply'), stored)).toEqual({
      name: 'apply',
      env: 'staging',
      result: apply('staging', ['001_a', '002_b']),
    });
    const v = parseStepResult('x', step('staging', 'verify'), JSON.parse(JSON.stringify(verify)));
    expect(v.result).toEqual(verify);
  });

  it('a result that does not have its step’s shape is refused, naming the run, the step and the field', () => {
    const bad = {
      ...apply('staging', ['001_a']),
      files: [{ id: '001_a', statements: 'two', durationMs: 5 }],
    };
    expect(
      refusal(() => parseStepResult(where(1, step('staging', 'apply')), step('staging', 'apply'), bad)),
    ).toBe(
      'run #42, step 2 (staging apply), result does not parse: ' +
        'files.0.statements: Invalid input: expected number, received string; ' +
        'files.0.lockRetries: Invalid input: expected number, received undefined',
    );
  });

  it('a preflight result stored on an apply step is refused, not read as an apply', () => {
    const msg = refusal(() =>
      parseStepResult('run #42, step 2', step('staging', 'apply'), preflight('staging', [])),
    );
    expect(msg).toMatch(
      /^run #42, step 2 does not parse: files: Invalid input: expected array, received undefined/,
    );
  });

  it('approval and monitor steps store no result: one found there is refused', () => {
    expect(
      refusal(() => parseStepResult(where(2, step('staging', 'approval')), step('staging', 'approval'), {})),
    ).toBe('run #42, step 3 (staging approval), result is stored, but approval steps store none');
  });

  it('a wrong enum or a missing required field in a nested shape is refused', () => {
    const badCheck = { ...verify, results: [{ ...verify.results[0], status: 'maybe' }] };
    expect(refusal(() => parseStepResult('v', step('staging', 'verify'), badCheck))).toMatch(
      /^v does not parse: results\.0\.status: Invalid option: expected one of "pass"\|"fail"\|"error"\|"skipped"$/,
    );
    const noBaselineAt = {
      ...preflight('staging', []),
      metricsBaseline: { counters: {}, gauges: {}, unavailable: {} },
    };
    expect(refusal(() => parseStepResult('p', step('staging', 'preflight'), noBaselineAt))).toMatch(
      /^p does not parse: metricsBaseline\.at: Invalid input: expected string, received undefined$/,
    );
  });
});

describe('typed accessors', () => {
  const steps = [
    step('staging', 'preflight'),
    step('staging', 'apply'),
    step('staging', 'verify'),
    step('production', 'preflight'),
    step('production', 'apply'),
    step('production', 'verify'),
    step('staging', 'rollback'),
  ];
  const entries: [number, unknown][] = [
    [0, preflight('staging', ['001_a'])],
    [1, apply('staging', ['001_a'])],
    [2, verify],
    [3, preflight('production', ['001_a'])],
    [4, apply('production', ['001_a'])],
  ];
  const results: StepResults = new Map(
    entries.map(([i, v]) => [i, parseStepResult(`step ${i}`, steps[i]!, v)]),
  );

  it('stepResult gives a step’s result only when the step is of that kind', () => {
    expect(stepResult(results, 1, 'apply')?.files.map((f) => f.id)).toEqual(['001_a']);
    expect(stepResult(results, 1, 'preflight')).toBeUndefined();
    expect(stepResult(results, 5, 'verify')).toBeUndefined();
  });

  it('resultOf gives the newest result of a kind on the step’s own environment, before it', () => {
    const run = { steps: steps.map((s) => ({ ...s, status: 'pending' as const })) };
    expect(resultOf(run, results, 5, 'apply')?.env).toBe('production');
    expect(resultOf(run, results, 5, 'preflight')?.env).toBe('production');
    expect(resultOf(run, results, 6, 'apply')?.env).toBe('staging');
    expect(resultOf(run, results, 1, 'apply')).toBeUndefined();
    expect(latestResult(results, 'apply', 'staging', 2)?.env).toBe('staging');
    expect(latestResult(results, 'apply', 'staging', 1)).toBeUndefined();
  });
});

describe('checkpoint readings and alert records', () => {
  const judged = {
    key: 'error_rate',
    value: 2.5,
    raw: 'critical',
    level: 'critical',
    streak: 1,
    line: '> 1%',
  };

  it('a sample or a reading that does not parse is refused, naming where it was', () => {
    expect(
      refusal(() =>
        parseStored(rawSampleSchema, { at: 'x', counters: { a: '1' }, gauges: {}, unavailable: {} }, 's'),
      ),
    ).toBe('s does not parse: counters.a: Invalid input: expected number, received string');
    expect(refusal(() => parseStored(z.array(judgedSchema), [{ ...judged, level: 'bad' }], 'j'))).toMatch(
      /^j does not parse: 0\.level: Invalid option/,
    );
  });

  it('an alert record reads back as { judged, message? }; a bare array from before reads as { judged }', () => {
    expect(parseAlertRecord(7, [judged])).toEqual({ judged: [judged] });
    const message = {
      text: 'critical on staging',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x' } }],
    };
    expect(parseAlertRecord(7, { judged: [judged], message })).toEqual({ judged: [judged], message });
  });

  it('an alert record of another shape is refused, naming the alert', () => {
    expect(refusal(() => parseAlertRecord(7, { message: { text: 'x', blocks: [] } }))).toBe(
      'alert 7, metrics does not parse: judged: Invalid input: expected array, received undefined',
    );
    expect(
      refusal(() => parseAlertRecord(7, { judged: [], message: { text: 'x', blocks: ['section'] } })),
    ).toBe('alert 7, metrics does not parse: message.blocks.0: expected a Block Kit block');
  });
});

describe('schemaOf', () => {
  interface Shape {
    readonly a: string;
    readonly b?: number;
  }
  it('gives a schema that parses to the interface', () => {
    const s = schemaOf<Shape>()(z.object({ a: z.string(), b: z.number().optional() }));
    expect(s.parse({ a: 'x', extra: 1 })).toEqual({ a: 'x' });
  });
  it('does not compile when the schema and the interface differ (checked by tsc)', () => {
    // @ts-expect-error: the schema forgets the optional field b, which a parse would silently drop.
    schemaOf<Shape>()(z.object({ a: z.string() }));
    // @ts-expect-error: b is optional in the interface, required in the schema.
    schemaOf<Shape>()(z.object({ a: z.string(), b: z.number() }));
    // @ts-expect-error: a is a string in the interface.
    schemaOf<Shape>()(z.object({ a: z.number(), b: z.number().optional() }));
  });
});
