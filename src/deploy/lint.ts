/**
 * Lint decisions: which findings block a run, which an inline allow (`-- migration-gate:allow <rule> <reason>`)
 * lets through with its reason, and what a report stores and says. Pure: the findings come from src/lint/.
 */
import { z } from 'zod';
import { isKnownRule, type LintLevels, nearRules } from './lint-rules.js';
import { schemaOf } from './stored.js';

/** What a rule found, before deploy.yml's levels and the file's allows are applied. Lines and columns 1-based. */
export interface RawFinding {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly help?: string;
  /** Which statement of the file (0-based) the finding is in: an allow applies to one statement. */
  readonly statement: number;
}

/** An allow comment as written, placed on the statement it applies to. */
export interface AllowComment {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The comment's text, `--` and all. */
  readonly text: string;
  /** The statement it applies to (the one it trails on the same line, else the next one); -1 for none. */
  readonly statement: number;
}

export interface LintFinding {
  readonly rule: string;
  readonly level: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly help?: string;
  /** The reason an allow in the file gives: the finding does not block, and the approver reads why. */
  readonly allowed?: string;
}

export interface LintReport {
  readonly files: number;
  /** Errors first (blocking, then allowed), then warnings; in file order within each. */
  readonly findings: LintFinding[];
  /** Findings left out of `findings` to keep the stored result small (counted in the totals below). */
  readonly more: number;
  /** Errors that block (not allowed). */
  readonly errors: number;
  /** Warnings no allow names. */
  readonly warnings: number;
  /** Findings an allow let through (errors and warnings; not counted above). */
  readonly allowed: number;
  /** Why lint could not run as it should (the linter missing, a file it could not read): these block too. */
  readonly problems: string[];
}

/** Findings kept in a stored report; the totals still count every one. */
export const STORED_FINDINGS = 500;

/** The rule name of problems with allow comments themselves; never allowed, never off. */
export const ALLOW_RULE = 'migration-gate-allow';
/** The rule name of a file PostgreSQL's parser cannot read (the CLI lints files preflight has not split). */
export const PARSE_RULE = 'parse-error';
/** Rules whose level deploy.yml cannot change. */
const FIXED: Readonly<Record<string, 'error'>> = { [PARSE_RULE]: 'error' };

const PREFIX = 'migration-gate:allow';

/** The body of a `--` or `/* … *\/` comment, trimmed. */
function body(comment: string): string {
  const t = comment.trim();
  if (t.startsWith('--')) return t.slice(2).trim();
  if (t.startsWith('/*')) return t.slice(2, t.endsWith('*/') ? -2 : undefined).trim();
  return t;
}

export type ParsedAllow =
  | { readonly kind: 'none' }
  | { readonly kind: 'allow'; readonly rules: string[]; readonly reason: string }
  | { readonly kind: 'bad'; readonly problem: string };

/** What one comment says: nothing about lint, an allow of some rules with its reason, or a malformed allow. */
export function parseAllow(comment: string): ParsedAllow {
  const text = body(comment);
  if (/^squawk-ignore(-file)?\b/i.test(text))
    return {
      kind: 'bad',
      problem:
        'squawk-ignore hides a finding without saying why: write `-- migration-gate:allow <rule> <reason>` instead, so the approver reads the reason',
    };
  if (!text.toLowerCase().startsWith(PREFIX)) return { kind: 'none' };
  const rest = text.slice(PREFIX.length);
  if (rest && !/^\s/.test(rest)) return { kind: 'none' };
  const [list = '', ...words] = rest.trim().split(/\s+/);
  const rules = list.split(',').filter(Boolean);
  const reason = words.join(' ').trim();
  if (!rules.length)
    return { kind: 'bad', problem: 'name the rule to allow: `-- migration-gate:allow <rule> <reason>`' };
  const unknown = rules.filter((r) => !isKnownRule(r));
  if (unknown.length) {
    const near = nearRules(unknown[0]!);
    return {
      kind: 'bad',
      problem: `there is no lint rule "${unknown[0]}" to allow${near.length ? `; did you mean ${near.join(', ')}?` : ''}`,
    };
  }
  if (reason.length < 3)
    return {
      kind: 'bad',
      problem: `an allow needs a reason the approver can read: \`-- migration-gate:allow ${rules.join(',')} <why it is safe here>\``,
    };
  return { kind: 'allow', rules, reason };
}

const RANK = (f: LintFinding) => (f.level === 'error' ? (f.allowed === undefined ? 0 : 1) : 2);

/**
 * Apply deploy.yml's levels and the files' allows to what the rules found: rules set to off are dropped, a
 * finding of a rule allowed on its statement is kept with the reason and does not block, and every malformed
 * allow is an error of its own. An allow that lets nothing through is a warning (the rule may have been fixed).
 */
export function judge(
  raw: readonly RawFinding[],
  comments: readonly AllowComment[],
  levels: LintLevels,
  files: number,
  problems: readonly string[] = [],
): LintReport {
  const findings: LintFinding[] = [];
  const allows: { c: AllowComment; rules: string[]; reason: string; used: boolean }[] = [];
  for (const c of comments) {
    const parsed = parseAllow(c.text);
    if (parsed.kind === 'allow') allows.push({ c, rules: parsed.rules, reason: parsed.reason, used: false });
    else if (parsed.kind === 'bad')
      findings.push({
        rule: ALLOW_RULE,
        level: 'error',
        file: c.file,
        line: c.line,
        column: c.column,
        message: parsed.problem,
      });
  }
  for (const f of raw) {
    const level = FIXED[f.rule] ?? levels[f.rule] ?? 'warning';
    if (level === 'off') continue;
    const allow = allows.find(
      (a) => a.c.file === f.file && a.c.statement === f.statement && a.rules.includes(f.rule),
    );
    if (allow) allow.used = true;
    findings.push({
      rule: f.rule,
      level,
      file: f.file,
      line: f.line,
      column: f.column,
      message: f.message,
      ...(f.help ? { help: f.help } : {}),
      ...(allow ? { allowed: allow.reason } : {}),
    });
  }
  for (const a of allows)
    if (!a.used && a.rules.some((r) => levels[r] !== 'off'))
      findings.push({
        rule: ALLOW_RULE,
        level: 'warning',
        file: a.c.file,
        line: a.c.line,
        column: a.c.column,
        message: `this allows ${a.rules.join(', ')}, but nothing ${a.c.statement < 0 ? 'follows it' : 'in the statement it is on'} is found by ${a.rules.length === 1 ? 'that rule' : 'those rules'}: remove it`,
      });
  const order = new Map<string, number>();
  for (const f of [...raw, ...findings]) if (!order.has(f.file)) order.set(f.file, order.size);
  findings.sort(
    (a, b) =>
      RANK(a) - RANK(b) ||
      (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) ||
      a.line - b.line ||
      a.column - b.column,
  );
  return {
    files,
    findings: findings.slice(0, STORED_FINDINGS),
    more: Math.max(0, findings.length - STORED_FINDINGS),
    errors: findings.filter((f) => f.level === 'error' && f.allowed === undefined).length,
    warnings: findings.filter((f) => f.level === 'warning' && f.allowed === undefined).length,
    allowed: findings.filter((f) => f.allowed !== undefined).length,
    problems: [...problems],
  };
}

/** Whether the report stops the run at preflight. */
export const blocks = (r: LintReport): boolean => r.errors > 0 || r.problems.length > 0;

/** `024_x.sql:3:1` */
export const where = (f: Pick<LintFinding, 'file' | 'line' | 'column'>) => `${f.file}:${f.line}:${f.column}`;

/** "2 errors, 1 allowed, 3 warnings" (or "no findings"). */
export function countsOf(r: LintReport): string {
  const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
  const parts = [];
  if (r.errors) parts.push(n(r.errors, 'error'));
  if (r.allowed) parts.push(`${r.allowed} allowed`);
  if (r.warnings) parts.push(n(r.warnings, 'warning'));
  return parts.length ? parts.join(', ') : 'no findings';
}

/** The sentence a preflight stopped by lint says. */
export function blockedBy(r: LintReport): string {
  if (r.problems.length)
    return `Lint could not check the pending files, so nothing was applied: ${r.problems.join(' ')}`;
  const first = r.findings.find((f) => f.level === 'error' && f.allowed === undefined);
  const at = first ? ` (first: ${where(first)} ${first.rule})` : '';
  return `Lint found ${r.errors === 1 ? '1 error' : `${r.errors} errors`} in the pending files${at}, so nothing was applied. Fix ${r.errors === 1 ? 'it' : 'them'}, or allow one on its statement with \`-- migration-gate:allow <rule> <reason>\` (the approver reads the reason), then start a new run.`;
}

const findingSchema = schemaOf<LintFinding>()(
  z.object({
    rule: z.string(),
    level: z.enum(['error', 'warning']),
    file: z.string(),
    line: z.number(),
    column: z.number(),
    message: z.string(),
    help: z.string().optional(),
    allowed: z.string().optional(),
  }),
);

export const lintReportSchema = schemaOf<LintReport>()(
  z.object({
    files: z.number(),
    findings: z.array(findingSchema),
    more: z.number(),
    errors: z.number(),
    warnings: z.number(),
    allowed: z.number(),
    problems: z.array(z.string()),
  }),
);
