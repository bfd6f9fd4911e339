/** What a rollback can honestly undo, said before anyone approves it. Pure. */
import { LAYOUTS } from './layouts/detect.js';
import type { LayoutName } from './layouts/model.js';

export interface RollbackPlan {
  /** Files whose down file will run, newest first. */
  readonly undo: readonly string[];
  /** Files this run applied that stay applied (no down file, or older than one without). */
  readonly keep: readonly string[];
  /** The files of `keep` that have no down file (why the rollback stops where it does). */
  readonly missingDown: readonly string[];
  /**
   * The down file of each file in `undo` and `missingDown` as the folder's layout names it (`U1.1__x.sql`,
   * `<folder>/down.sql`, dbmate's `-- migrate:down` section); `<id>.down.sql` for a file not in it.
   */
  readonly downFiles?: Readonly<Record<string, string>>;
}

/**
 * The files applied by a run (in the order they were applied) that a rollback undoes: the newest ones, back to
 * the first without a down file. Undoing an older file while a newer one stays would pull the ground from under it.
 */
export function planRollback(
  applied: readonly string[],
  hasDown: (id: string) => boolean,
  downFile?: (id: string) => string,
): RollbackPlan {
  let k = applied.length;
  while (k > 0 && hasDown(applied[k - 1]!)) k--;
  const plan = {
    undo: applied.slice(k).reverse(),
    keep: applied.slice(0, k),
    missingDown: applied.slice(0, k).filter((id) => !hasDown(id)),
  };
  if (!downFile) return plan;
  return {
    ...plan,
    downFiles: Object.fromEntries([...plan.undo, ...plan.missingDown].map((id) => [id, downFile(id)])),
  };
}

/**
 * How a folder's layout names each migration's down file: the down file it has, or the one to write (dbmate's
 * is always the `-- migrate:down` section of the migration's own file).
 */
export function downFileNames(folder: {
  readonly layout: { readonly name: LayoutName };
  readonly migrations: readonly { readonly id: string; readonly downFileName?: string }[];
}): (id: string) => string {
  const layout = LAYOUTS[folder.layout.name];
  return (id) => {
    const existing = folder.migrations.find((m) => m.id === id)?.downFileName;
    return existing && !layout.sections ? existing : layout.names(id).down;
  };
}

/** The sentence for files with no down file (their up files named as the folder has them), in plain text. */
export function noDownFile(
  files: readonly { readonly id: string; readonly fileName: string }[],
  layout: LayoutName = 'plain',
): string {
  const down = (id: string) => LAYOUTS[layout].names(id).down;
  return `No down file for ${files.map((f) => f.fileName).join(', ')}: write ${files.map((f) => down(f.id)).join(', ')} or roll back by hand.`;
}

const list = (ids: readonly string[]) => ids.map((id) => `\`${id}\``).join(', ');
/** A file name in backticks; a phrase that quotes its own names (dbmate's section) as it is. */
const code = (name: string) => (name.includes('`') ? name : `\`${name}\``);

/** Plain sentences (ids in backticks; the caller escapes for mrkdwn). */
export function describeRollback(plan: RollbackPlan, env: string): string {
  if (!plan.undo.length && !plan.keep.length)
    return `This run applied nothing on ${env}: there is nothing to roll back.`;
  const down = (id: string) => code(plan.downFiles?.[id] ?? `${id}.down.sql`);
  const missing = plan.missingDown.length
    ? `no down file for ${list(plan.missingDown)} (write ${plan.missingDown.map(down).join(', ')} or undo by hand)`
    : '';
  if (!plan.undo.length) return `Nothing can be rolled back on ${env}: ${missing}.`;
  const undo = `Will undo on ${env}, newest first: ${plan.undo.map((id) => `\`${id}\` (${down(id)})`).join(', ')}.`;
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
