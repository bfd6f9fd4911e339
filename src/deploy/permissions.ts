/**
 * Who may do what to a run, in one table. Pure: the shell gathers who the person is (requester, approver of the
 * environment, on-call) before asking. Every command and button that acts on a run asks here; a refusal is a
 * sentence for that person.
 */

export type Action =
  /** Stop a run (command or button). */
  | 'cancel'
  /** Ask for a rollback of an environment (a held verify or apply, or a watched one). */
  | 'rollback'
  /** Restore from backup (or finish without restoring) after a rollback that offered it. */
  | 'restore'
  /** Run a held verify step's checks again, as the step's result. */
  | 'rerunVerify'
  /** Run a held apply again after it could not get its lock (the same people as rerunVerify). */
  | 'retryApply'
  /** Run checks now, outside the run's steps (slash `verify`, the Run verification button). */
  | 'verifyNow'
  /** Take a monitoring checkpoint now, or read the latest figures. */
  | 'checkpoint'
  | 'watch'
  /** Acknowledge a critical alert, or say to keep watching. */
  | 'acknowledge';

export interface Person {
  readonly id: string;
  /** Whether the person is in the approval rules of the environment acted on. */
  readonly approver: boolean;
  /** Whether the person is in the on-call group. */
  readonly oncall: boolean;
}

export interface Subject {
  readonly env: string;
  /** Whether the environment has approval rules. */
  readonly gated: boolean;
  /** The run acted on; none for `verify <migration> on <env>` outside a run. */
  readonly run?: { readonly id: number; readonly requestedBy: string };
}

const list = (who: string[]) =>
  who.length === 1 ? who[0]! : `${who.slice(0, -1).join(', ')} or ${who.at(-1)}`;

/** `true`, or why not. */
export function may(who: Person, action: Action, s: Subject): true | string {
  const requester = !!s.run && who.id === s.run.requestedBy;
  const run = s.run ? ` run #${s.run.id}` : '';
  const by = s.run ? `<@${s.run.requestedBy}> (who requested${run})` : '';
  const approvers = `an approver for ${s.env}`;
  const allowed = (ok: boolean, people: string[], what: string): true | string =>
    ok || `Only ${list(people.filter(Boolean))} can ${what}.`;
  switch (action) {
    case 'cancel':
      return allowed(requester || who.approver, [by, approvers], `cancel${run}`);
    case 'rollback':
      return allowed(
        requester || who.approver || who.oncall,
        [by, approvers, 'on-call'],
        `roll back${run} on ${s.env}`,
      );
    case 'restore':
      return allowed(
        requester || who.approver || who.oncall,
        [by, approvers, 'on-call'],
        `restore${run}'s backup on ${s.env}`,
      );
    case 'rerunVerify':
      return allowed(requester || who.approver, [by, approvers], `re-run verification of${run}`);
    case 'retryApply':
      return allowed(requester || who.approver, [by, approvers], `retry the apply of${run} on ${s.env}`);
    case 'verifyNow':
      // Ungated environments are everyone's to check; on a gated one, checks are for the people answerable for it.
      if (!s.gated) return true;
      return allowed(
        requester || who.approver || who.oncall,
        [by, `${s.env}'s approvers`, 'on-call'],
        `run checks on ${s.env}`,
      );
    case 'checkpoint':
    case 'watch':
      return allowed(
        requester || who.approver || who.oncall,
        [by, approvers, 'on-call'],
        `${action === 'watch' ? 'watch' : 'take a checkpoint of'}${run}`,
      );
    case 'acknowledge':
      return allowed(
        who.approver || who.oncall,
        [`${s.env}'s approvers`, 'on-call'],
        `answer alerts on ${s.env}`,
      );
  }
}
