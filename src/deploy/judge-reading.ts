/**
 * Judge one checkpoint's reading of a metric, `down:` included: a source that could not be reached N checkpoints
 * in a row (the service crashed, the database is gone) is itself a critical. Pure.
 */
import type { MetricReading } from './metrics.js';
import { fmt, type Judged, judge, type Level, type MetricRule } from './monitoring.js';

/** What an earlier checkpoint of the same metric counts as. */
export interface Prior {
  readonly raw: Level;
  readonly down?: boolean;
}

/** An earlier checkpoint's judged reading of `key` as a Prior (a missing reading is an ok one). */
export const priorOf = (j: Judged | undefined): Prior =>
  j?.down ? { raw: j.raw, down: true } : { raw: j?.raw ?? 'ok' };

/**
 * The metric's level at this checkpoint. A reading whose source was down is, for a rule with `down: N`, over the
 * critical line on its own (and so counts in a value's streak too), and critical once N in a row were down;
 * without `down:` it is only not measured, as any unavailable reading.
 */
export function judgeReading(
  rule: MetricRule,
  r: MetricReading,
  baseline: number | undefined,
  priors: readonly Prior[],
): Judged {
  if (r.down && rule.down) {
    let streak = 1;
    for (let i = priors.length - 1; i >= 0 && priors[i]!.down; i--) streak++;
    return {
      key: rule.key,
      raw: 'critical',
      level: streak >= rule.down ? 'critical' : 'ok',
      streak,
      consecutive: rule.down,
      unavailable: r.unavailable ?? 'could not be reached',
      down: true,
    };
  }
  const j = judge(
    rule,
    r.value,
    baseline,
    priors.map((p) => p.raw),
    r.unavailable,
    r.quiet,
  );
  return r.note && r.value !== undefined && !r.unavailable ? { ...j, note: r.note } : j;
}

/** Why a rollback trigger fired, in a sentence's words (the card and the audit say it). */
export function triggerReason(t: Judged, unit: string, env: string): string {
  if (t.down)
    return `${t.key} was down ${t.streak} checkpoints in a row on ${env} (${t.unavailable ?? 'no answer'})`;
  if (t.note) return `the watched check ${t.key} failed on ${env} (${t.note.replace(/^fails: /, '')})`;
  return `${t.key} ${fmt(t.value)}${unit} crossed its critical line (${t.line}) on ${env}`;
}
