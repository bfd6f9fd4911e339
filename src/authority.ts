/** Who a person is for an environment, gathered before asking the permission table (deploy/permissions.ts). */
import { ruleMembers } from './deploy/approvals.js';
import { type Action, may, type Person } from './deploy/permissions.js';
import type { Run } from './deploy/types.js';
import type { Engine } from './engine.js';
import type { Chat } from './slack/chat.js';

export type Authorize = (user: string, action: Action, envName: string, run?: Run) => Promise<true | string>;

export function createAuthority(engine: Engine, chat: Chat): Authorize {
  /** In the environment's approval rules; on call. A group Slack cannot read counts as not containing them. */
  async function person(user: string, envName: string): Promise<Person> {
    const p = engine.gatePolicy(envName);
    const groups = await engine.groupsFor(p).catch(() => ({}));
    const oncall = engine.deploy.monitoring.oncall;
    return {
      id: user,
      approver: p.rules.some((r) => ruleMembers(r, groups).includes(user)),
      oncall: !!oncall && (await chat.groupMembers(oncall).catch((): string[] => [])).includes(user),
    };
  }

  return async (user, action, envName, run) =>
    may(await person(user, envName), action, {
      env: envName,
      gated: engine.gatePolicy(envName).rules.length > 0,
      run: run && { id: run.id, requestedBy: run.requestedBy },
    });
}
