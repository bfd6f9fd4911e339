import { sql } from 'drizzle-orm';
import {
  boolean,
  customType,
  index,
  integer,
  json,
  jsonb,
  pgSchema,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/** The bot's own state lives in this schema of DATABASE_URL (never in a target's). */
export const stateSchema = pgSchema('migration_gate_state');

export const runs = stateSchema.table('runs', {
  id: serial('id').primaryKey(),
  migration: text('migration').notNull(),
  requestedBy: text('requested_by').notNull(),
  channel: text('channel').notNull(),
  status: text('status').notNull(),
  reason: text('reason'),
  endedBy: text('ended_by'),
  /** The files this run deploys, id → sha256, fixed at start. */
  checksums: jsonb('checksums').$type<Record<string, string>>().notNull().default({}),
  version: integer('version').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
});

export const steps = stateSchema.table(
  'steps',
  {
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    index: integer('idx').notNull(),
    env: text('env').notNull(),
    name: text('name').notNull(),
    status: text('status').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    durationMs: integer('duration_ms'),
    summary: text('summary'),
    /** Gates: when an unanswered gate expires, when a scheduled one's window opens, when to remind next. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    resumeAt: timestamp('resume_at', { withTimezone: true }),
    remindAt: timestamp('remind_at', { withTimezone: true }),
    reminders: integer('reminders').notNull().default(0),
    /** 'rollback' for the steps a rollback adds. */
    purpose: text('purpose'),
    /** What the step measured, for the thread reply and the report. */
    result: jsonb('result'),
    /** An after: action's step and its gate: which action, its label, the outcome it follows (docs/after.md). */
    after: jsonb('after'),
    /** A deploy gate of an environment whose approvals are stages: the stage's name. */
    stage: text('stage'),
    /** A step of one service's database (deploy.yml `services:`); null for an environment's gates and actions. */
    service: text('service'),
  },
  (t) => [uniqueIndex('steps_run_idx').on(t.runId, t.index)],
);

/** One row per environment a running run holds: two runs never deploy to one environment at once. */
export const environmentLocks = stateSchema.table('environment_locks', {
  env: text('env').primaryKey(),
  runId: integer('run_id')
    .notNull()
    .references(() => runs.id, { onDelete: 'cascade' }),
  takenAt: timestamp('taken_at', { withTimezone: true }).notNull().defaultNow(),
});

export const slackMessages = stateSchema.table(
  'slack_messages',
  {
    id: serial('id').primaryKey(),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    /** 'card' for the run card (its ts is also the thread), 'step:N' for a step's thread reply. */
    kind: text('kind').notNull(),
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
  },
  (t) => [uniqueIndex('slack_messages_run_kind').on(t.runId, t.kind)],
);

export const auditEvents = stateSchema.table('audit_events', {
  id: serial('id').primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull().default(sql`now()`),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  runId: integer('run_id'),
  detail: jsonb('detail'),
});

/** One person's decision on one gate of one run, for that run's checksums. */
export const approvals = stateSchema.table(
  'approvals',
  {
    id: serial('id').primaryKey(),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    index: integer('idx').notNull(),
    user: text('user_id').notNull(),
    decision: text('decision').notNull(),
    reason: text('reason'),
    checksumsDigest: text('checksums_digest').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('approvals_one_per_person').on(t.runId, t.index, t.user)],
);

/**
 * The monitor step's schedule: one row per checkpoint. A tick claims due rows (status `claimed`, its token and the
 * time) in a short transaction, samples with no transaction open, then stores them if still its own.
 */
export const checkpoints = stateSchema.table(
  'checkpoints',
  {
    id: serial('id').primaryKey(),
    runId: integer('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    index: integer('idx').notNull(),
    seq: integer('seq').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    /** pending, claimed (a tick is sampling it), done, missed (overdue and folded into a later one). */
    status: text('status').notNull().default('pending'),
    takenAt: timestamp('taken_at', { withTimezone: true }),
    /** The tick that claimed it (a token per batch) and when (the store's clock); stale after a while. */
    claimedBy: text('claimed_by'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    /** The raw counters read (the next checkpoint's deltas start here) and the judged metrics. */
    sample: jsonb('sample'),
    judged: jsonb('judged'),
  },
  (t) => [
    uniqueIndex('checkpoints_run_step_seq').on(t.runId, t.index, t.seq),
    index('checkpoints_due').on(t.status, t.dueAt),
  ],
);

/** Warn and critical alerts posted in a run's thread, and who acknowledged them. */
export const alerts = stateSchema.table('alerts', {
  id: serial('id').primaryKey(),
  runId: integer('run_id')
    .notNull()
    .references(() => runs.id, { onDelete: 'cascade' }),
  checkpointId: integer('checkpoint_id').references(() => checkpoints.id, { onDelete: 'cascade' }),
  /** The monitor step the alert is about: its environment decides who may answer it. */
  stepIndex: integer('step_index'),
  level: text('level').notNull(),
  metrics: jsonb('metrics').notNull(),
  channel: text('channel'),
  ts: text('ts'),
  acknowledgedBy: text('acknowledged_by'),
  acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true }),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * What the bot itself has done on each target database, cumulative (commits, rollbacks, statements and their
 * time, seq scans per table, function calls): subtracted from every sample so the bot never shows up in the
 * figures it reports. Keyed by a hash of host, port and database (never the URL).
 */
export const targetFootprints = stateSchema.table('target_footprints', {
  target: text('target').primaryKey(),
  counters: jsonb('counters').$type<Record<string, number>>().notNull().default({}),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

interface SandboxFileRef {
  id: string;
  name: string;
  title: string;
  filetype: string;
  mimetype: string;
  size: number;
}

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * The local sandbox's stand-in Slack channel (npm start without Slack tokens), so the page shows it again after a
 * restart and old cards can still be updated and clicked. Only the sandbox reads or writes these tables.
 */
export const sandboxMessages = stateSchema.table(
  'sandbox_messages',
  {
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    threadTs: text('thread_ts'),
    /** A thread reply also sent to the channel (reply_broadcast). */
    broadcast: boolean('broadcast').notNull().default(false),
    text: text('text').notNull(),
    /** Block Kit exactly as the bot sent it (json keeps key order). */
    blocks: json('blocks').$type<unknown[]>().notNull(),
    edited: boolean('edited').notNull().default(false),
    /** The files a file message shows: id, name, title, filetype, mimetype, size. */
    files: json('files').$type<SandboxFileRef[]>(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.ts] })],
);

/** Files uploaded to the stand-in (files.uploadV2), kept whole. */
export const sandboxFiles = stateSchema.table('sandbox_files', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  title: text('title').notNull(),
  filetype: text('filetype').notNull(),
  mimetype: text('mimetype').notNull(),
  size: integer('size').notNull(),
  content: bytea('content').notNull(),
  channel: text('channel'),
  threadTs: text('thread_ts'),
  messageTs: text('message_ts'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
});

/** One row per Slack interaction acted on (its trigger id): two replicas given the same click act once. */
export const clickClaims = stateSchema.table('click_claims', {
  key: text('key').primaryKey(),
  runId: integer('run_id'),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
});
