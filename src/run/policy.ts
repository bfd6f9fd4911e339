/**
 * What decide() is given from outside the run: the policy (from deploy.yml) and the members of the Slack user
 * groups it names, read before any lock is taken (Slack is a network call; no lock may wait on it).
 */
import type { DeployConfig, Environment } from '../config.js';
import type { GatePolicy } from '../deploy/approvals.js';
import type { Groups, Policy } from '../deploy/decision.js';
import { unitOf } from '../deploy/metrics.js';
import type { Chat } from '../slack/chat.js';

const DAY = 86_400_000;

export function policyOf(deploy: DeployConfig): Policy {
  const env = (name: string): Environment | undefined => deploy.environments.find((e) => e.name === name);
  // A stage no longer in deploy.yml has no rules: nobody can approve it (fail closed; it expires).
  const gate = (name: string, stage?: string): GatePolicy => ({
    env: name,
    ...(stage === undefined
      ? { rules: env(name)?.approvals ?? [] }
      : { stage, rules: env(name)?.stages?.find((s) => s.name === stage)?.rules ?? [] }),
    allowSelfApproval: env(name)?.allowSelfApproval ?? false,
  });
  return {
    gateTtlMs: (name) => env(name)?.expiresAfterMs ?? 3 * DAY,
    gated: (name) => gate(name).rules.length > 0,
    gate,
    stages: (name) => env(name)?.stages?.map((s) => s.name) ?? [],
    window: (name) => env(name)?.window,
    remindEveryMs: (name) => env(name)?.remindEveryMs ?? 4 * 3_600_000,
    autoRollback: (name) => env(name)?.autoRollback ?? false,
    metrics: deploy.monitoring.metrics.map((m) => m.rule),
    unit: (key) => {
      const m = deploy.monitoring.metrics.find((x) => x.rule.key === key);
      return m ? unitOf(m.source) : '';
    },
    oncall: deploy.monitoring.oncall,
    // deploy.yml's after: actions and notify: channels (docs/after.md).
    after: (name) => env(name)?.after ?? [],
    notify: {
      all: deploy.notify ?? [],
      byEnv: Object.fromEntries(deploy.environments.map((e) => [e.name, e.notify ?? []])),
    },
  };
}

/** Every user group deploy.yml names (approval rules, on-call). */
export function groupsNamed(deploy: DeployConfig): string[] {
  const ids = deploy.environments.flatMap((e) =>
    [...e.approvals, ...(e.stages ?? []).flatMap((s) => s.rules)].flatMap((r) =>
      r.usergroup ? [r.usergroup] : [],
    ),
  );
  if (deploy.monitoring.oncall) ids.push(deploy.monitoring.oncall);
  return [...new Set(ids)];
}

/** The members of `ids`, asked of Slack at once; a group Slack will not give is recorded with why. */
export async function readGroups(chat: Chat, ids: readonly string[]): Promise<Groups> {
  const read = await Promise.all(
    ids.map((g) =>
      chat.groupMembers(g).then(
        (m) => ({ g, m }),
        (e: Error) => ({ g, error: e.message }),
      ),
    ),
  );
  const members: Record<string, string[]> = {};
  const failed: Record<string, string> = {};
  for (const r of read)
    if ('m' in r) members[r.g] = r.m;
    else failed[r.g] = r.error;
  return { members, failed };
}
