/**
 * Monitoring, pure: checkpoint times from a plan, thresholds ("> 1%", "> baseline + 20%"), consecutive
 * breaches, and metric values derived from two raw samples. Time is passed in.
 */
import { z } from 'zod';
import { compareNumber } from './expectations.js';
import { schemaOf } from './stored.js';

export interface Phase {
  readonly everyMs: number;
  /** The phase lasts this long after it starts … */
  readonly forMs?: number;
  /** … or until this long after the monitor step started. */
  readonly untilMs?: number;
}

/** Checkpoint offsets from the step's start: phases run back to back; the first checkpoint is one interval in. */
export function checkpointOffsets(plan: readonly Phase[]): number[] {
  const out: number[] = [];
  let start = 0;
  for (const p of plan) {
    const end = p.untilMs ?? start + (p.forMs ?? 0);
    for (let t = start + p.everyMs; t <= end + 1e-6; t += p.everyMs) out.push(Math.round(t));
    start = Math.max(start, end);
  }
  return [...new Set(out)].sort((a, b) => a - b);
}

export function checkpointTimes(startIso: string, plan: readonly Phase[]): string[] {
  const start = Date.parse(startIso);
  return checkpointOffsets(plan).map((o) => new Date(start + o).toISOString());
}

export type Level = 'ok' | 'warn' | 'critical';

export interface Threshold {
  readonly op: '>' | '>=' | '<' | '<=';
  /** Absolute line, or relative to the baseline: line = baseline × (1 + pct/100) or baseline + add. */
  readonly value: number;
  readonly relative?: 'percent' | 'absolute';
  readonly text: string;
}

const THRESHOLD = /^\s*(>=|<=|>|<)\s*(?:(baseline)\s*([+-])\s*)?(\d+(?:\.\d+)?)\s*(%?)\s*$/;

/** Parse "> 1%", ">= 15", "< 90%", "> baseline + 20%", "> baseline + 5". Percent signs on absolute lines are the unit. */
export function parseThreshold(text: string): Threshold | undefined {
  const m = THRESHOLD.exec(text);
  if (!m) return undefined;
  const n = Number(m[4]) * (m[3] === '-' ? -1 : 1);
  if (m[2])
    return {
      op: m[1] as Threshold['op'],
      value: n,
      relative: m[5] ? 'percent' : 'absolute',
      text: text.trim(),
    };
  return { op: m[1] as Threshold['op'], value: n, text: text.trim() };
}

/** The line a threshold draws, given the baseline (undefined when a relative line has no baseline). */
export function lineOf(t: Threshold, baseline: number | undefined): number | undefined {
  if (!t.relative) return t.value;
  if (baseline === undefined) return undefined;
  return t.relative === 'percent' ? baseline * (1 + t.value / 100) : baseline + t.value;
}

export function breaches(value: number, t: Threshold, baseline: number | undefined): boolean {
  const line = lineOf(t, baseline);
  return line !== undefined && compareNumber(value, `${t.op} ${line}`) === true;
}

export interface MetricRule {
  readonly key: string;
  readonly warn?: Threshold;
  readonly critical?: Threshold;
  /** A level counts only after this many checkpoints in a row are over its line (default 1). */
  readonly consecutive: number;
  readonly rollback: boolean;
  readonly dryRun: boolean;
  /** Critical once its source could not be reached this many checkpoints in a row (`down: N`). */
  readonly down?: number;
}

export interface Judged {
  readonly key: string;
  readonly value?: number;
  /** The level this sample alone reaches. */
  readonly raw: Level;
  /** The level after consecutive counting (what alerts and rollbacks act on). */
  readonly level: Level;
  /** How many checkpoints in a row (this one included) reached `raw` or worse. */
  readonly streak: number;
  /** The rule's `consecutive`: how many in a row a level needs before it counts (absent in old rows: 1). */
  readonly consecutive?: number;
  /**
   * The line this reading is judged against, as configured ("> 1%"; a relative line also shows where it
   * falls: "> 12 (> baseline + 20%)"): the line it is over, or the lowest line when it is over none.
   */
  readonly line?: string;
  /** Which of the rule's lines `line` is. */
  readonly lineLevel?: 'warn' | 'critical';
  readonly unavailable?: string;
  /** Nothing to measure this time (e.g. no calls): neither good nor bad. */
  readonly quiet?: string;
  /** Its source could not be reached (with `down:` on the rule: raw critical, `streak` counts such readings). */
  readonly down?: boolean;
  /** Shown instead of the number (a watched check: "passes", "fails: …"). */
  readonly note?: string;
}

const level = z.enum(['ok', 'warn', 'critical']);

/** A checkpoint's readings as stored (checkpoints.judged, alerts), parsed when read back. */
export const judgedSchema = schemaOf<Judged>()(
  z.object({
    key: z.string(),
    value: z.number().optional(),
    raw: level,
    level,
    streak: z.number(),
    consecutive: z.number().optional(),
    line: z.string().optional(),
    lineLevel: z.enum(['warn', 'critical']).optional(),
    unavailable: z.string().optional(),
    quiet: z.string().optional(),
    down: z.boolean().optional(),
    note: z.string().optional(),
  }),
);

const rank: Record<Level, number> = { ok: 0, warn: 1, critical: 2 };

/**
 * Judge one metric's value against its rule, given the raw levels of its previous checkpoints, newest last.
 * A missed or unavailable checkpoint in the history breaks nothing and counts for nothing.
 */
export function judge(
  rule: MetricRule,
  value: number | undefined,
  baseline: number | undefined,
  history: readonly Level[],
  unavailable?: string,
  quiet?: string,
): Judged {
  if (unavailable) return { key: rule.key, raw: 'ok', level: 'ok', streak: 0, unavailable };
  if (value === undefined)
    return { key: rule.key, raw: 'ok', level: 'ok', streak: 0, quiet: quiet ?? 'no value' };
  const raw: Level =
    rule.critical && breaches(value, rule.critical, baseline)
      ? 'critical'
      : rule.warn && breaches(value, rule.warn, baseline)
        ? 'warn'
        : 'ok';
  let streak = raw === 'ok' ? 0 : 1;
  for (let i = history.length - 1; i >= 0 && raw !== 'ok' && rank[history[i]!] >= rank[raw]; i--) streak++;
  // Not yet N in a row: report the level below that does hold.
  let level: Level = streak >= rule.consecutive ? raw : 'ok';
  if (level === 'ok' && raw === 'critical' && rule.warn && breaches(value, rule.warn, baseline)) {
    let warnStreak = 1;
    for (let i = history.length - 1; i >= 0 && rank[history[i]!] >= 1; i--) warnStreak++;
    if (warnStreak >= rule.consecutive) level = 'warn';
  }
  const lineLevel = raw === 'critical' || !rule.warn ? 'critical' : 'warn';
  const t = rule[lineLevel];
  const at = t && lineOf(t, baseline);
  const line =
    t &&
    (!t.relative ? t.text : at === undefined ? `${t.text} (no baseline)` : `${t.op} ${fmt(at)} (${t.text})`);
  return {
    key: rule.key,
    value,
    raw,
    level,
    streak,
    consecutive: rule.consecutive,
    ...(t ? { line, lineLevel } : {}),
  };
}

/** What a checkpoint calls for: dry-run metrics are reported and never act. */
export function actionable(
  judged: readonly Judged[],
  rules: readonly MetricRule[],
): { critical: Judged[]; warn: Judged[]; trigger?: Judged } {
  const rule = new Map(rules.map((r) => [r.key, r]));
  const live = judged.filter((j) => !rule.get(j.key)?.dryRun);
  const critical = live.filter((j) => j.level === 'critical');
  return {
    critical,
    warn: live.filter((j) => j.level === 'warn'),
    trigger: critical.find((j) => rule.get(j.key)?.rollback),
  };
}

/** A reading for people: 26.9, 0.05, 1234.57 (three significant digits below 100, no trailing zeros). */
export function fmt(n: number | undefined): string {
  if (n === undefined) return 'n/a';
  return Math.abs(n) >= 100 || Number.isInteger(n)
    ? String(Math.round(n * 100) / 100)
    : String(Number(n.toPrecision(3)));
}

/** Raw counters and gauges read at one instant. */
export interface RawSample {
  readonly at: string;
  readonly counters: Readonly<Record<string, number>>;
  readonly gauges: Readonly<Record<string, number>>;
  readonly unavailable: Readonly<Record<string, string>>;
  /** Keys (also in `unavailable`) whose source could not be reached: the database, the service, Prometheus. */
  readonly down?: readonly string[];
  /** Readings from outside PostgreSQL that come with words: a watched check's result, why there is no value. */
  readonly notes?: Readonly<Record<string, string>>;
}

/** A raw sample as stored (checkpoints.sample, preflight's baseline), parsed when read back. */
export const rawSampleSchema = schemaOf<RawSample>()(
  z.object({
    at: z.string(),
    counters: z.record(z.string(), z.number()),
    gauges: z.record(z.string(), z.number()),
    unavailable: z.record(z.string(), z.string()),
    down: z.array(z.string()).optional(),
    notes: z.record(z.string(), z.string()).optional(),
  }),
);

export const delta = (prev: RawSample | undefined, cur: RawSample, key: string): number | undefined => {
  const a = prev?.counters[key];
  const b = cur.counters[key];
  if (b === undefined) return undefined;
  return a === undefined ? undefined : Math.max(0, b - a);
};
