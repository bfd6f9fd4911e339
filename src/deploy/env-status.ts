/**
 * What is applied where, for `migration-gate status`: one environment's ledgers (the bot's own and other tools')
 * against the folder, read through the same planPending a deploy's preflight uses. Pure.
 */
import { adoptForeign, type ForeignLedger, type Unfinished } from './foreign-ledger.js';
import { type Drift, type LedgerEntry, OWN_LEDGER, planPending } from './ledger.js';

/** A file of the folder that a ledger on the environment records as applied. */
export interface AppliedHere {
  readonly id: string;
  readonly file: string;
  /** The checksum the ledger holds (the file's own unless `drifted`). */
  readonly checksum: string;
  /** "YYYY-MM-DD HH:MM:SS UTC" as the ledger has it; null when the tool keeps no time (dbmate, Supabase). */
  readonly appliedAt: string | null;
  readonly appliedBy: string | null;
  /** The bot's run that applied it; null when applied from a terminal, baselined, or by another tool. */
  readonly runId: number | null;
  /** `migration-gate`, or the tool whose ledger records it (`Prisma`, `dbmate` …). */
  readonly recordedBy: string;
  /** Marked applied without running it (`baseline`). */
  readonly baselined: boolean;
  /** The file changed since it was applied here (its entry in `drift` says how). */
  readonly drifted: boolean;
}

/** One environment in `status --json`: every field is always there (empty or null when it does not apply). */
export interface EnvStatus {
  readonly env: string;
  /** False when its database could not be read: `problem` says why, and the lists are empty. */
  readonly read: boolean;
  readonly problem: string | null;
  readonly serverVersion: string | null;
  /** In the folder's order. */
  readonly applied: AppliedHere[];
  /** What a deploy of the folder's newest migration would apply here, in order. */
  readonly pending: { id: string; file: string }[];
  readonly drift: Drift[];
  /** Migrations another tool started and never finished (a dirty golang-migrate version, a failed Prisma one). */
  readonly unfinished: Unfinished[];
  /** Ledger rows with no file in the folder. */
  readonly unknown: { id: string; recordedBy: string }[];
  /** Pending files older than the newest applied one. */
  readonly outOfOrder: string[];
}

export function envStatus(
  env: string,
  files: readonly { id: string; version: string; checksum: string; fileName: string }[],
  ledgers: { readonly own: readonly LedgerEntry[]; readonly foreign: readonly ForeignLedger[] },
  serverVersion: string,
): EnvStatus {
  const last = files.at(-1);
  const plan = planPending(files, ledgers.own, last?.id ?? '', ledgers.foreign);
  // Whose row counts, as planPending decides it: the bot's own first, then what another tool recorded.
  const entries = new Map<string, LedgerEntry>(ledgers.own.map((l) => [l.id, l]));
  for (const e of adoptForeign(files, ledgers.foreign).entries) if (!entries.has(e.id)) entries.set(e.id, e);
  const drifted = new Set(plan.drift.map((d) => d.id));
  return {
    env,
    read: true,
    problem: null,
    serverVersion,
    applied: files.flatMap((f) => {
      const l = entries.get(f.id);
      if (!l) return [];
      return [
        {
          id: f.id,
          file: f.fileName,
          checksum: l.checksum,
          appliedAt: l.appliedAt || null,
          appliedBy: l.appliedBy,
          runId: l.runId,
          recordedBy: l.recordedBy ?? OWN_LEDGER,
          baselined: !!l.baselined,
          drifted: drifted.has(f.id),
        },
      ];
    }),
    pending: plan.pending.map((f) => ({ id: f.id, file: f.fileName })),
    drift: plan.drift,
    unfinished: plan.unfinished,
    unknown: plan.unknown.map((u) => ({ id: u.id, recordedBy: u.recordedBy ?? OWN_LEDGER })),
    outOfOrder: plan.outOfOrder,
  };
}

/** An environment whose database could not be read, and why. */
export const unread = (env: string, problem: string): EnvStatus => ({
  env,
  read: false,
  problem,
  serverVersion: null,
  applied: [],
  pending: [],
  drift: [],
  unfinished: [],
  unknown: [],
  outOfOrder: [],
});

/**
 * 2 when an environment could not be read (the answer is incomplete), else 1 when one has drift or a migration
 * another tool left unfinished (a deploy there would stop at preflight), else 0.
 */
export function statusExitCode(envs: readonly EnvStatus[]): 0 | 1 | 2 {
  if (envs.some((e) => !e.read)) return 2;
  return envs.some((e) => e.drift.length || e.unfinished.length) ? 1 : 0;
}

/** A cell of the status table: "applied 2024-05-01 12:00", "applied (dbmate)", "baselined …", "DRIFT", "pending". */
export function cellOf(s: EnvStatus, id: string): string {
  if (!s.read) return 'not read';
  const a = s.applied.find((x) => x.id === id);
  if (!a) return s.pending.some((p) => p.id === id) ? 'pending' : '';
  if (a.drifted) return 'DRIFT';
  const when = a.appliedAt ? ` ${a.appliedAt.slice(0, 16)}` : '';
  const by = a.recordedBy === OWN_LEDGER ? '' : ` (${a.recordedBy})`;
  return `${a.baselined ? 'baselined' : 'applied'}${when}${by}`;
}
