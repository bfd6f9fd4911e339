/** A decide() context for table tests: every environment's approvers and on-call are fixed people. */
import type { Rule } from '../../src/deploy/approvals.js';
import type { Context, Groups, Policy } from '../../src/deploy/decision.js';
import type { MetricRule } from '../../src/deploy/monitoring.js';
import type { Window } from '../../src/deploy/schedule.js';

export const ONCALL = 'S0ONCALL';

export interface TestPolicy {
  gated?: (env: string) => boolean;
  rules?: (env: string) => Rule[];
  window?: (env: string) => Window | undefined;
  autoRollback?: (env: string) => boolean;
  metrics?: MetricRule[];
  allowSelfApproval?: boolean;
  gateTtlMs?: number;
}

/** Gated environments have one rule: a dba among U5, U6, U7. On-call are U2, U3 and U9. */
export function testContext(p: TestPolicy = {}, extra: Partial<Context> = {}): Context {
  const gated = p.gated ?? (() => false);
  const rules =
    p.rules ?? ((env: string) => (gated(env) ? [{ role: 'dba', users: ['U5', 'U6', 'U7'], count: 1 }] : []));
  const policy: Policy = {
    gateTtlMs: () => p.gateTtlMs ?? 3_600_000,
    gated: (env) => rules(env).length > 0,
    gate: (env) => ({ env, rules: rules(env), allowSelfApproval: p.allowSelfApproval ?? false }),
    window: p.window ?? (() => undefined),
    remindEveryMs: () => 4 * 3_600_000,
    autoRollback: p.autoRollback ?? (() => false),
    metrics: p.metrics ?? [],
    unit: (key) => (key.endsWith('_ms') ? ' ms' : key === 'error_rate' ? '%' : ''),
    oncall: ONCALL,
  };
  const groups: Groups = { members: { [ONCALL]: ['U2', 'U3', 'U9'] }, failed: {} };
  return { policy, groups, ...extra };
}
