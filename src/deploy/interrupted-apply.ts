/**
 * A run whose apply was cut by the bot stopping (killed, say, while it waited for a lock): what is known, in one
 * sentence for the card. The shell gathers the facts (the step's stored result, preflight's pending list, the
 * target's ledger) when it recovers the run. Pure.
 */

export interface InterruptedApply {
  /** The apply step that was running. */
  readonly index: number;
  /** The file it was applying when the bot stopped (the first of preflight's list the ledger does not hold). */
  readonly applying?: string;
  /** That file ran outside a transaction (statements before the stop may stay applied). */
  readonly outside?: boolean;
  /** Files of this run the target's ledger holds there. */
  readonly applied: readonly string[];
  /** The run took a backup there before apply (it is kept, like any backup, until its keepFor). */
  readonly backup: boolean;
}

const list = (ids: readonly string[]) => ids.map((id) => `\`${id}\``).join(', ');

/** "The bot stopped while this run was in progress, applying 002_add on staging: …" */
export function describeInterruptedApply(where: string, f: InterruptedApply): string {
  const cut = f.applying
    ? f.outside
      ? `, applying ${f.applying} on ${where}, which runs outside a transaction: the statements it finished before the stop stay applied, the rest did not run.`
      : `, applying ${f.applying} on ${where}: its transaction died with the bot, so nothing of ${f.applying} was applied.`
    : ` on ${where}.`;
  const applied = f.applied.length
    ? `Applied on ${where} by this run: ${list(f.applied)}.`
    : `None of this run's files is applied on ${where}.`;
  const backup = f.backup ? ' The backup taken before apply is kept.' : '';
  return `The bot stopped while this run was in progress${cut} ${applied}${backup} Start the run again to continue (files already applied are skipped).`;
}
