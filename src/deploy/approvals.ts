/** Who may approve what: N-of-M rules, distinct people, self-approval, stale cards, fail closed. Pure. */
import { describeEnd } from './plan.js';
import type { Run } from './types.js';

export interface Rule {
  readonly role: string;
  readonly users?: readonly string[];
  readonly usergroup?: string;
  readonly count: number;
}

export type Decision = 'approve' | 'conditions' | 'reject';

export interface Approval {
  readonly user: string;
  readonly decision: Decision;
  readonly reason?: string;
  readonly at: string;
}

/** One stage of an environment's ordered approvals (deploy.yml `approvals: { stages: [...] }`). */
export interface ApprovalStage {
  readonly name: string;
  readonly rules: readonly Rule[];
}

export interface GatePolicy {
  readonly env: string;
  /** The stage these rules are, when the environment's approvals are stages. */
  readonly stage?: string;
  readonly rules: readonly Rule[];
  readonly allowSelfApproval: boolean;
}

/** What a gate is called in a sentence: "production", or "the business stage of production". */
export const gateName = (p: Pick<GatePolicy, 'env' | 'stage'>): string =>
  p.stage === undefined ? p.env : `the ${p.stage} stage of ${p.env}`;
/** The same at the start of a sentence ("The business stage of production"; an environment's name as it is). */
const startName = (p: Pick<GatePolicy, 'env' | 'stage'>): string =>
  p.stage === undefined ? p.env : `The ${p.stage} stage of ${p.env}`;

/** Members of each rule: its users, or its user group's members (resolved by the shell at click time). */
export function ruleMembers(
  rule: Rule,
  groups: Readonly<Record<string, readonly string[]>>,
): readonly string[] {
  return rule.users ?? (rule.usergroup ? (groups[rule.usergroup] ?? []) : []);
}

/**
 * Assign approvers to rule slots so that each person fills at most one slot and each slot one person
 * (bipartite matching with augmenting paths). Returns, per rule, the people counted for it.
 */
export function assign(
  rules: readonly Rule[],
  approvers: readonly string[],
  groups: Readonly<Record<string, readonly string[]>>,
): string[][] {
  const slots: number[] = rules.flatMap((r, i) => Array.from({ length: r.count }, () => i));
  const slotOf = new Map<string, number>();
  const holder: (string | undefined)[] = slots.map(() => undefined);
  const fits = (user: string, slot: number) => ruleMembers(rules[slots[slot]!]!, groups).includes(user);
  const tryPlace = (user: string, seen: Set<number>): boolean => {
    for (let s = 0; s < slots.length; s++) {
      if (seen.has(s) || !fits(user, s)) continue;
      seen.add(s);
      const current = holder[s];
      if (current === undefined || tryPlace(current, seen)) {
        holder[s] = user;
        slotOf.set(user, s);
        return true;
      }
    }
    return false;
  };
  for (const user of approvers) tryPlace(user, new Set());
  return rules.map((_, i) => holder.filter((h, s): h is string => h !== undefined && slots[s] === i));
}

export interface GateProgress {
  readonly satisfied: boolean;
  readonly rules: { role: string; need: number; approvers: string[] }[];
}

export function progress(
  policy: GatePolicy,
  approvals: readonly Approval[],
  groups: Readonly<Record<string, readonly string[]>>,
): GateProgress {
  const approvers = approvals.filter((a) => a.decision !== 'reject').map((a) => a.user);
  const matched = assign(policy.rules, approvers, groups);
  const rules = policy.rules.map((r, i) => ({ role: r.role, need: r.count, approvers: matched[i]! }));
  return { satisfied: rules.every((r) => r.approvers.length >= r.need), rules };
}

export interface ClickContext {
  readonly user: string;
  readonly requester: string;
  readonly decision: Decision;
  readonly approvals: readonly Approval[];
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** A rollback gate: `requester` is whoever asked for the rollback. */
  readonly rollback?: boolean;
}

export type ClickVerdict = { ok: true; satisfiesGate: boolean } | { ok: false; refused: string };

const roles = (rules: readonly Rule[]) => rules.map((r) => r.role).join(', ');

/** Whether a rule can ever be met, given who may approve (the requester excluded unless allowed). */
export function unsatisfiable(
  policy: GatePolicy,
  requester: string,
  groups: Readonly<Record<string, readonly string[]>>,
): string | undefined {
  const short = shortRules(policy, requester, groups);
  if (!short) return undefined;
  return `The approval rules for ${gateName(policy)} can never be met (${short}${policy.allowSelfApproval ? '' : ', not counting the requester'}). Fix the rules in deploy.yml; nothing was approved.`;
}

/** The rules that can never be met when `requester` may not approve ("dba needs 1 person"), or undefined. */
export function shortRules(
  policy: GatePolicy,
  requester: string,
  groups: Readonly<Record<string, readonly string[]>>,
): string | undefined {
  const candidates = [...new Set(policy.rules.flatMap((r) => ruleMembers(r, groups)))].filter(
    (u) => policy.allowSelfApproval || u !== requester,
  );
  const matched = assign(policy.rules, candidates, groups);
  const short = policy.rules.filter((r, i) => matched[i]!.length < r.count);
  if (!short.length) return undefined;
  return short
    .map((r) => `${r.role} needs ${r.count} ${r.count === 1 ? 'person' : 'different people'}`)
    .join('; ');
}

/** Decide one Approve / Approve with conditions / Reject click on an open gate. */
export function decideClick(policy: GatePolicy, c: ClickContext): ClickVerdict {
  const eligible = policy.rules.some((r) => ruleMembers(r, c.groups).includes(c.user));
  if (!eligible)
    return {
      ok: false,
      refused: `You are not in a rule for ${gateName(policy)} (needs: ${roles(policy.rules)}).`,
    };
  if (c.user === c.requester && !policy.allowSelfApproval)
    return {
      ok: false,
      refused: c.rollback
        ? 'You asked for this rollback; someone else must approve it.'
        : 'You requested this run; someone else must approve it.',
    };
  const mine = c.approvals.find((a) => a.user === c.user);
  if (mine)
    return {
      ok: false,
      refused: `You already ${mine.decision === 'reject' ? 'rejected' : 'approved'} this at ${mine.at.slice(0, 16).replace('T', ' ')} UTC; nothing changed.`,
    };
  if (c.decision === 'reject') return { ok: true, satisfiesGate: false };
  const before = progress(policy, c.approvals, c.groups);
  if (before.satisfied)
    return { ok: false, refused: `${startName(policy)} is already approved; nothing changed.` };
  const after = progress(policy, [...c.approvals, { user: c.user, decision: c.decision, at: '' }], c.groups);
  const counted = (p: GateProgress) => p.rules.reduce((n, r) => n + Math.min(r.need, r.approvers.length), 0);
  if (counted(after) === counted(before))
    return {
      ok: false,
      refused: `Your approval would not count: the rules you are in already have the approvals they need (still needed: ${before.rules
        .filter((r) => r.approvers.length < r.need)
        .map((r) => r.role)
        .join(', ')}).`,
    };
  return { ok: true, satisfiesGate: after.satisfied };
}

/** What a button carries: the run, the gate's step index, and the digest of the checksums it approves. */
export interface CardRef {
  readonly r: number;
  readonly i: number;
  readonly d: string;
}

/**
 * Everything that must hold before a click can count, except the rules themselves: the run exists and runs,
 * the card's gate is the one waiting now, and it is for the run's checksums. `refresh` asks to redraw the cards.
 */
export function checkCard(
  run: Run | undefined,
  card: CardRef,
  digest: string,
): { ok: true } | { ok: false; refused: string; refresh: boolean } {
  if (!run) return { ok: false, refused: `There is no run #${card.r}.`, refresh: false };
  const step = run.steps[card.i];
  // A click that lost the race to the approval that completed the gate hears just that.
  if (
    step?.name === 'approval' &&
    (step.status === 'succeeded' || step.status === 'scheduled') &&
    card.d === digest
  )
    return { ok: false, refused: `${startName(step)} is already approved; nothing changed.`, refresh: false };
  if (run.status !== 'running') return { ok: false, refused: describeEnd(run), refresh: true };
  if (step?.name !== 'approval' || step.status !== 'waiting' || card.d !== digest)
    return {
      ok: false,
      refused: 'That card was out of date, so nothing was recorded; it has been refreshed.',
      refresh: true,
    };
  return { ok: true };
}
