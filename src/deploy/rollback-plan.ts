/** What a rollback can honestly undo, said before anyone approves it. Pure. */

export interface RollbackPlan {
  /** Files whose down file will run, newest first. */
  readonly undo: readonly string[];
  /** Files this run applied that stay applied (no down file, or older than one without). */
  readonly keep: readonly string[];
  /** The files of `keep` that have no down file (why the rollback stops where it does). */
  readonly missingDown: readonly string[];
}

/**
 * The files applied by a run (in the order they were applied) that a rollback undoes: the newest ones, back to
 * the first without a down file. Undoing an older file while a newer one stays would pull the ground from under it.
 */
export function planRollback(applied: readonly string[], hasDown: (id: string) => boolean): RollbackPlan {
  let k = applied.length;
  while (k > 0 && hasDown(applied[k - 1]!)) k--;
  return {
    undo: applied.slice(k).reverse(),
    keep: applied.slice(0, k),
    missingDown: applied.slice(0, k).filter((id) => !hasDown(id)),
  };
}

const list = (ids: readonly string[]) => ids.map((id) => `\`${id}\``).join(', ');

/** Plain sentences (ids in backticks; the caller escapes for mrkdwn). */
export function describeRollback(plan: RollbackPlan, env: string): string {
  if (!plan.undo.length && !plan.keep.length)
    return `This run applied nothing on ${env}: there is nothing to roll back.`;
  const missing = plan.missingDown.length
    ? `no down file for ${list(plan.missingDown)} (write ${plan.missingDown.map((m) => `\`${m}.down.sql\``).join(', ')} or undo by hand)`
    : '';
  if (!plan.undo.length) return `Nothing can be rolled back on ${env}: ${missing}.`;
  const undo = `Will undo on ${env}, newest first: ${plan.undo.map((id) => `\`${id}\` (\`${id}.down.sql\`)`).join(', ')}.`;
  if (!plan.keep.length) return `${undo} That is everything this run applied there.`;
  return `${undo} ${list(plan.keep)} ${plan.keep.length === 1 ? 'stays' : 'stay'} applied: ${missing}.`;
}

/**
 * Which files may be undone: those whose down file the run was bound to when it started (so a rollback runs only
 * what the run started with); for a run started before down files were bound, those with a down file on disk.
 */
export function boundDowns(
  checksums: Readonly<Record<string, string>>,
  onDisk: (id: string) => boolean,
): (id: string) => boolean {
  const bound = Object.keys(checksums).some((k) => k.endsWith('.down.sql'));
  return bound ? (id) => checksums[`${id}.down.sql`] !== undefined && onDisk(id) : onDisk;
}
