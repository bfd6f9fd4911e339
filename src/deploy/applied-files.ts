/** One file as apply or rollback ran it, and a PostgreSQL error as the user reads it: stored with the step. Pure. */
import { z } from 'zod';
import { type LockWait, lockWaitSchema } from './lock-attempts.js';
import { type TracedStatement, tracedStatementSchema } from './lock-trace.js';
import { schemaOf } from './stored.js';

export interface PgErrorView {
  readonly code?: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly where?: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly statement?: number;
}

export interface AppliedFile {
  readonly id: string;
  /** The file as the folder names it (`0002_x.up.sql`, `20240101_init/migration.sql`); absent in old results. */
  readonly file?: string;
  readonly statements: number;
  readonly durationMs: number;
  readonly lockRetries: number;
  readonly outsideTransaction?: string;
  /** Lock attempts that gave up, and who held the lock (src/deploy/lock-attempts.ts). */
  readonly lockWaits?: LockWait[];
  /** The strong locks its statements took and how long they were held (src/deploy/lock-trace.ts). */
  readonly lockTrace?: TracedStatement[];
}

export const pgErrorView = schemaOf<PgErrorView>()(
  z.object({
    code: z.string().optional(),
    message: z.string(),
    detail: z.string().optional(),
    hint: z.string().optional(),
    where: z.string().optional(),
    file: z.string(),
    line: z.number(),
    column: z.number(),
    statement: z.number().optional(),
  }),
);

const appliedFileFields = {
  id: z.string(),
  file: z.string().optional(),
  statements: z.number(),
  durationMs: z.number(),
  lockRetries: z.number(),
  outsideTransaction: z.string().optional(),
  lockWaits: z.array(lockWaitSchema).optional(),
  lockTrace: z.array(tracedStatementSchema).optional(),
};
export const appliedFile = schemaOf<AppliedFile>()(z.object(appliedFileFields));
export const failedFile = z.object({ ...appliedFileFields, error: pgErrorView, statementsKept: z.number() });
