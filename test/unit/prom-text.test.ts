/**
 * The test suite's reader of /metrics text: prom-client writes a gauge with no samples yet as "Nan" (its util.js),
 * which Prometheus reads as NaN; the reader must too (observability.test.ts failed on it once, in CI).
 */
import { describe, expect, it } from 'vitest';
import { parseProm } from '../support/prom-text.js';

describe('parseProm', () => {
  it('reads NaN however it is cased, and refuses a value that is not a number', () => {
    const s = parseProm('nodejs_eventloop_lag_mean_seconds Nan\nup NaN\nlive 1\n');
    expect(s.samples.map((x) => [x.name, Number.isNaN(x.value) ? 'NaN' : x.value])).toEqual([
      ['nodejs_eventloop_lag_mean_seconds', 'NaN'],
      ['up', 'NaN'],
      ['live', 1],
    ]);
    expect(() => parseProm('live soon\n')).toThrow('not a value: live soon');
  });
});
