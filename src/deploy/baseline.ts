/**
 * Baseline: marking migrations applied on an environment without running them, for a database whose schema was
 * made by hand (or by a tool whose ledger is gone). What the baseline step stores, and how it is said. Pure.
 */
import { z } from 'zod';
import { schemaOf } from './stored.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export interface BaselineResult {
  readonly env: string;
  readonly ok: boolean;
  /** The files marked applied (in the bot's ledger, as baselined), in migration order. */
  readonly files: { id: string; checksum: string }[];
  /** Other tools' ledgers that got the same rows (`Prisma (_prisma_migrations)`). */
  readonly foreign?: string[];
  readonly problem?: string;
}

export const baselineResultSchema = schemaOf<BaselineResult>()(
  z.object({
    env: z.string(),
    ok: z.boolean(),
    files: z.array(z.object({ id: z.string(), checksum: z.string() })),
    foreign: z.array(z.string()).optional(),
    problem: z.string().optional(),
  }),
);

/** "3 files to mark applied without running: 001, 002, 003" (the first five; the approval card lists them all). */
export function toBaseline(ids: readonly string[]): string {
  const shown = ids.slice(0, 5).join(', ');
  const more = ids.length > 5 ? ` and ${ids.length - 5} more` : '';
  return `${plural(ids.length, 'file')} to mark applied without running: ${shown}${more}`;
}

/** The baseline step's line on the run card: "3 files baselined (marked applied, not run)". */
export const baselinedSummary = (n: number): string =>
  n === 0 ? 'nothing to baseline' : `${plural(n, 'file')} baselined (marked applied, not run)`;

/** What the CLI says when the confirming flag is missing: what it would do, and which flag confirms it. */
export function baselineWouldDo(env: string, ids: readonly string[], flag: string): string {
  if (!ids.length) return `Nothing to baseline on ${env}: every file up to it is already recorded there.`;
  return `This would mark ${plural(ids.length, 'migration')} as applied on ${env} WITHOUT running ${ids.length === 1 ? 'it' : 'them'}: ${ids.join(', ')}. Their SQL never runs; only the ledger says they are applied. Run it again with ${flag} to do it.`;
}
