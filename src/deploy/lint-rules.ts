/**
 * The lint rules a migration is checked against: squawk's (run as a program, src/lint/squawk.ts) and migration-gate's
 * own (src/lint/rules.ts), each set to error, warning or off by deploy.yml's `lint:`. Pure.
 */
import { z } from 'zod';

export type LintLevel = 'error' | 'warning' | 'off';
export const LINT_LEVELS = ['error', 'warning', 'off'] as const;

/** Each rule's level, every known rule present (deploy.yml's `lint:` over the defaults). */
export type LintLevels = Readonly<Record<string, LintLevel>>;

/** squawk 2.66.0's rules that it runs unless told not to (its JSON names them so). */
const SQUAWK_DEFAULT_ON = [
  'adding-field-with-default',
  'adding-foreign-key-constraint',
  'adding-not-nullable-field',
  'adding-required-field',
  'adding-serial-primary-key-field',
  'ban-alter-domain-with-add-constraint',
  'ban-char-field',
  'ban-concurrent-index-creation-in-transaction',
  'ban-create-domain-with-constraint',
  'ban-drop-column',
  'ban-drop-database',
  'ban-drop-not-null',
  'ban-drop-table',
  'ban-duplicate-column-assignments',
  'ban-truncate-cascade',
  'ban-uncommitted-transaction',
  'changing-column-type',
  'constraint-missing-not-valid',
  'disallowed-unique-constraint',
  'identifier-too-long',
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-identity',
  'prefer-repack',
  'prefer-robust-stmts',
  'prefer-text-field',
  'prefer-timestamp-tz',
  'renaming-column',
  'renaming-table',
  'require-concurrent-index-creation',
  'require-concurrent-index-deletion',
  'require-concurrent-partition-detach',
  'require-concurrent-reindex',
  'require-enum-value-ordering',
  'transaction-nesting',
] as const;

/** squawk's rules it runs only when included (`--include`): off here too unless deploy.yml turns them on. */
export const SQUAWK_OPT_IN = ['require-table-schema'] as const;

/** What squawk reports for text its own parser cannot read (PostgreSQL's parser read it, or preflight would fail). */
export const SQUAWK_SYNTAX = 'syntax-error';

/**
 * squawk's timeout rules, always off: the bot sets lock_timeout and statement_timeout itself for every file
 * (lockTimeout and statementTimeout in deploy.yml), so a file needs no SET of its own.
 */
export const SQUAWK_TIMEOUT_RULES = [
  'require-lock-timeout',
  'require-statement-timeout',
  'require-timeout-settings',
] as const;

/** migration-gate's own rules: what runbooks care about and squawk 2.66.0 has no rule for. */
export const OWN_RULES = {
  'drop-function':
    'DROP FUNCTION / PROCEDURE / ROUTINE / AGGREGATE: callers (the application, views, triggers, other functions) fail once it is gone',
  'replace-function':
    'CREATE OR REPLACE FUNCTION / PROCEDURE, or a function dropped and created again with the same arguments: its body changes under live callers, and a drop loses its grants',
  'function-signature-change':
    'a function dropped and created again with other arguments, renamed, or moved to another schema: callers using the old signature fail',
  revoke: 'REVOKE of privileges or of a role membership (ALTER DEFAULT PRIVILEGES … REVOKE too)',
  'disable-row-level-security':
    'ALTER TABLE … DISABLE ROW LEVEL SECURITY or NO FORCE ROW LEVEL SECURITY: its policies stop applying',
  'drop-policy': 'DROP POLICY: the rows it kept from other tenants or roles may become visible',
  'security-definer-search-path':
    'a SECURITY DEFINER function without SET search_path: whoever calls it can shadow the objects it uses',
  'grant-to-public': 'GRANT … TO PUBLIC (ALTER DEFAULT PRIVILEGES … TO PUBLIC too): every role gets it',
} as const;
export type OwnRule = keyof typeof OWN_RULES;

export const SQUAWK_RULES: readonly string[] = [...SQUAWK_DEFAULT_ON, ...SQUAWK_OPT_IN, SQUAWK_SYNTAX];
export const ALL_RULES: readonly string[] = [...SQUAWK_RULES, ...Object.keys(OWN_RULES)];
const KNOWN = new Set(ALL_RULES);
export const isKnownRule = (name: string) => KNOWN.has(name);
export const isSquawkRule = (name: string) => SQUAWK_RULES.includes(name);

/** Every rule's level when deploy.yml says nothing: squawk's defaults and ours as warnings, opt-in rules off. */
export const DEFAULT_LEVELS: LintLevels = Object.freeze(
  Object.fromEntries(
    ALL_RULES.map((r): [string, LintLevel] => [
      r,
      (SQUAWK_OPT_IN as readonly string[]).includes(r) ? 'off' : 'warning',
    ]),
  ),
);

/** deploy.yml's settings over the defaults. */
export function resolveLevels(given: Readonly<Record<string, LintLevel>> = {}): LintLevels {
  return Object.freeze({ ...DEFAULT_LEVELS, ...given });
}

/** Edit distance (insert, delete, replace one character), for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = row;
  }
  return prev[b.length]!;
}

/** Known rule names near `name` (close in spelling, or sharing a word), nearest first, at most three. */
export function nearRules(name: string): string[] {
  const words = name
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w.length > 3);
  return ALL_RULES.map((r) => ({
    r,
    d: distance(name.toLowerCase(), r),
    shared: words.filter((w) => r.includes(w)).length,
  }))
    .filter((x) => x.d <= Math.max(3, Math.floor(name.length / 3)) || x.shared > 0)
    .sort((a, b) => a.d - b.d || b.shared - a.shared)
    .slice(0, 3)
    .map((x) => x.r);
}

/** Why a name cannot be set in `lint:` (a sentence), or undefined when it can. */
export function unknownRuleProblem(name: string): string | undefined {
  if ((SQUAWK_TIMEOUT_RULES as readonly string[]).includes(name))
    return `${name} is always off: migration-gate sets lock_timeout and statement_timeout itself for every file (lockTimeout and statementTimeout of each environment); remove it from lint:`;
  if (KNOWN.has(name)) return undefined;
  const near = nearRules(name);
  return `there is no lint rule "${name}"${near.length ? `; did you mean ${near.join(', ')}?` : '.'} docs/lint.md lists every rule`;
}

/** `lint:` in deploy.yml's JSON Schema (editors complete the rule names and levels): every known rule, nothing else. */
export function lintJsonSchema(): Record<string, unknown> {
  const level = (what: string) => ({ enum: [...LINT_LEVELS], description: what });
  return {
    description:
      "Each lint rule's level: error (stops the run at preflight unless the file allows it with a reason), warning or off (docs/lint.md).",
    type: 'object',
    properties: Object.fromEntries(
      ALL_RULES.map((r) => [
        r,
        level(
          r in OWN_RULES
            ? `migration-gate's rule: ${OWN_RULES[r as OwnRule]}.`
            : `squawk's rule (https://squawkhq.com/docs/${r}).`,
        ),
      ]),
    ),
    additionalProperties: false,
  };
}

/** deploy.yml's `lint:`: rule name → error | warning | off; unknown names are refused with the names near them. */
export const lintSchema = z
  .record(z.string(), z.unknown(), {
    error: 'write lint: as rule: level pairs, e.g. { require-concurrent-index-creation: error }',
  })
  .transform((given, ctx) => {
    const out: Record<string, LintLevel> = {};
    for (const [name, level] of Object.entries(given)) {
      const problem = unknownRuleProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem });
      else if (!LINT_LEVELS.includes(level as LintLevel))
        ctx.addIssue({ code: 'custom', path: [name], message: `set ${name} to error, warning or off` });
      else out[name] = level as LintLevel;
    }
    return out;
  });
