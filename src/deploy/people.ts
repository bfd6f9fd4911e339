/**
 * Who a person is for an environment (from the user groups the shell read before any lock), and the permission
 * check every person's event goes through. Pure.
 */
import { ruleMembers } from './approvals.js';
import { type Context, type Decision, SYSTEM_ACTOR } from './decision.js';
import { type Action, may, type Person } from './permissions.js';
import type { Run } from './types.js';

/** A group Slack would not give counts as not containing them (the person is refused, never let in). */
export function personFor(ctx: Context, user: string, env: string): Person {
  const members = ctx.groups?.members ?? {};
  const oncall = ctx.policy.oncall;
  return {
    id: user,
    // In any of its stages' rules (the environment's only rules when they are one list).
    approver: [undefined, ...(ctx.policy.stages?.(env) ?? [])].some((stage) =>
      ctx.policy.gate(env, stage).rules.some((r) => ruleMembers(r, members).includes(user)),
    ),
    oncall: !!oncall && (members[oncall] ?? []).includes(user),
  };
}

/**
 * May `by` do `action` on `env` of `run` (the bot itself always may)? A refusal, audited as `audit` with why,
 * or undefined when allowed.
 */
export function forbidden(
  ctx: Context,
  run: Run | undefined,
  by: string,
  action: Action,
  env: string,
  audit: string,
  detail: globalThis.Record<string, unknown> = {},
): (Decision & { ok: false }) | undefined {
  if (by === SYSTEM_ACTOR) return undefined;
  const verdict = may(personFor(ctx, by, env), action, {
    env,
    gated: ctx.policy.gate(env).rules.length > 0,
    run: run && { id: run.id, requestedBy: run.requestedBy },
  });
  if (verdict === true) return undefined;
  return {
    ok: false,
    refused: verdict,
    records: [{ type: 'audit', actor: by, action: audit, detail: { ...detail, refused: verdict } }],
  };
}
