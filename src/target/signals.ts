/**
 * One reading of every monitoring metric of an environment: PostgreSQL's (sampleTarget), the application's own
 * answers (http), Prometheus queries, and watched checks. A source that cannot be reached is marked down (for
 * `down: N`); the others are still read. No transaction is open while any of it is sent.
 */
import type { Environment } from '../config.js';
import type { Check } from '../deploy/check-schema.js';
import { jsonAt } from '../deploy/http-check.js';
import { fromPostgres, type MetricSource, metricKey, type OutsideSource } from '../deploy/metrics.js';
import type { RawSample } from '../deploy/monitoring.js';
import { ANSWERED, queryPath, queryValue } from '../deploy/prometheus.js';
import { runChecks } from './checks.js';
import { connectFailureOf, describeTargetError } from './connect-errors.js';
import type { Footprints } from './footprint.js';
import { RequestFailed, send } from './http.js';
import { sampleTarget } from './metrics.js';

/** What one source gave: a value, a note (why there is none, or words to show), or why not (and whether down). */
type Read = { value?: number; note?: string; unavailable?: string; down?: boolean };

const number = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'boolean'
      ? Number(v)
      : typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)
        ? Number(v)
        : undefined;

async function readOutside(env: Environment, s: OutsideSource): Promise<Read> {
  try {
    if (s.kind === 'prometheus') {
      const path = queryPath(s.query);
      const a = await send(
        env.urls,
        { method: 'GET', url: s.server, path, status: [...ANSWERED] },
        s.timeoutMs,
      );
      if (!(ANSWERED as readonly number[]).includes(a.status))
        return { unavailable: `Prometheus (${s.server}) answered ${a.status}`, down: true };
      const v = queryValue(a.body);
      return 'value' in v
        ? { value: v.value }
        : 'quiet' in v
          ? { note: v.quiet }
          : { unavailable: v.unavailable };
    }
    const a = await send(env.urls, { ...s.request, status: [] }, s.timeoutMs);
    if (!s.request.status.includes(a.status))
      return {
        unavailable: `${s.request.method} ${s.request.path} answered ${a.status} (wanted ${s.request.status.join(' or ')})`,
        down: true,
      };
    if (s.request.json === undefined) return { value: a.ms };
    const at = jsonAt(s.request, a.body);
    if ('missing' in at) return { unavailable: `${s.request.path}: ${at.missing}` };
    const n = number(at.value);
    return n === undefined
      ? { unavailable: `${s.request.json} is ${JSON.stringify(at.value)?.slice(0, 80)}, not a number` }
      : { value: n };
  } catch (e) {
    if (e instanceof RequestFailed) return { unavailable: e.message, down: true };
    throw e;
  }
}

/** Watched checks: pass reads 0, fail 1 (critical), with what the check saw. */
async function readChecks(
  env: Environment,
  footprints: Footprints,
  checks: readonly { key: string; check: Check }[],
  databaseDown: string | undefined,
): Promise<Map<string, Read>> {
  const out = new Map<string, Read>();
  // Without the database, only http checks can run; the others are down with it.
  const runnable = checks.filter((c) => !databaseDown || c.check.plan.kind === 'http');
  for (const c of checks)
    if (!runnable.includes(c)) out.set(c.key, { unavailable: databaseDown!, down: true });
  if (!runnable.length) return out;
  const results = await runChecks(
    env.databaseUrl,
    runnable.map((c) => c.check),
    { footprints, urls: env.urls, defaultTimeoutMs: 10_000 },
  );
  runnable.forEach((c, i) => {
    const r = results[i]!;
    if (r.status === 'pass') out.set(c.key, { value: 0, note: `passes (${r.actual})` });
    else if (r.status === 'fail')
      out.set(c.key, { value: 1, note: `fails: wanted ${r.target}; found ${r.actual}` });
    else
      out.set(c.key, {
        unavailable: r.error ?? 'the check could not run',
        down: c.check.plan.kind === 'http',
      });
  });
  return out;
}

/**
 * Every metric of `sources` on `env` at one instant. With `strict`, a database that cannot be sampled throws (the
 * preflight's baseline); otherwise its metrics are not measured this time, and down when it cannot be reached.
 */
export async function sampleSources(
  env: Environment,
  footprints: Footprints,
  sources: readonly MetricSource[],
  touchedTables: readonly string[],
  at: () => string,
  opts: { strict?: boolean } = {},
): Promise<RawSample> {
  const pg = sources.filter(fromPostgres);
  const outside = sources.filter((s): s is OutsideSource => s.kind === 'http' || s.kind === 'prometheus');
  const checks = sources.flatMap((s) => (s.kind === 'check' ? [{ key: s.name, check: s.check }] : []));
  const readPostgres = async (): Promise<RawSample | { failed: string; down: boolean }> => {
    if (!pg.length && sources.length) return { at: at(), counters: {}, gauges: {}, unavailable: {} };
    try {
      return await sampleTarget(env, footprints, pg, touchedTables, at);
    } catch (e) {
      if (opts.strict) throw e;
      return { failed: `could not sample: ${describeTargetError(env, e)}`, down: !!connectFailureOf(e) };
    }
  };
  const [base, read] = await Promise.all([
    readPostgres(),
    Promise.all(outside.map((s) => readOutside(env, s))),
  ]);
  const reads = new Map(outside.map((s, i) => [s.name, read[i]!]));
  const failed = 'failed' in base ? base : undefined;
  // Checks run once PostgreSQL's statistics are read, so their own work lands in the next interval's footprint.
  for (const [k, r] of await readChecks(env, footprints, checks, failed?.down ? failed.failed : undefined))
    reads.set(k, r);
  const sample: RawSample = failed
    ? { at: at(), counters: {}, gauges: {}, unavailable: {} }
    : (base as RawSample);
  const gauges = { ...sample.gauges };
  const unavailable = { ...sample.unavailable };
  const notes: Record<string, string> = {};
  const down: string[] = [];
  if (failed)
    for (const s of pg) {
      unavailable[metricKey(s)] = failed.failed;
      if (failed.down) down.push(metricKey(s));
    }
  for (const [key, r] of reads) {
    if (r.value !== undefined) gauges[key] = r.value;
    if (r.note !== undefined) notes[key] = r.note;
    if (r.unavailable !== undefined) unavailable[key] = r.unavailable;
    if (r.down) down.push(key);
  }
  return {
    ...sample,
    gauges,
    unavailable,
    ...(down.length ? { down } : {}),
    ...(Object.keys(notes).length ? { notes } : {}),
  };
}
