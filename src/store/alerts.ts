/**
 * Alerts raised by monitor steps. Their `metrics` column holds one shape from the first write on, an AlertRecord:
 * the readings that raised the alert, and once it is posted, the message (so Acknowledge can redraw it without
 * its buttons). Rows written before this held the readings alone, as a bare array: they read back as a record.
 */
import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Judged, judgedSchema } from '../deploy/monitoring.js';
import { parseStored, schemaOf } from '../deploy/stored.js';
import type { Block, Message } from '../slack/mrkdwn.js';
import type { Tx } from './db.js';
import { alerts } from './schema.js';

export interface AlertRecord {
  readonly judged: readonly Judged[];
  readonly message?: Message;
}

/** A Block Kit block as Slack accepted it when the alert was posted: an object with a type, not checked further. */
const block = z.custom<Block>(
  (v) => typeof v === 'object' && v !== null && 'type' in v && typeof v.type === 'string',
  'expected a Block Kit block',
);
const message = schemaOf<Message>()(z.object({ text: z.string(), blocks: z.array(block) }));

export const alertRecordSchema = schemaOf<AlertRecord>()(
  z.preprocess(
    (v) => (Array.isArray(v) ? { judged: v } : v),
    z.object({ judged: z.array(judgedSchema), message: message.optional() }),
  ),
);

export const parseAlertRecord = (alertId: number, value: unknown): AlertRecord =>
  parseStored(alertRecordSchema, value, `alert ${alertId}, metrics`);

export async function recordAlert(
  db: Tx,
  a: { runId: number; stepIndex: number; level: string; judged: readonly Judged[] },
): Promise<number> {
  const record: AlertRecord = { judged: a.judged };
  const [row] = await db
    .insert(alerts)
    .values({ runId: a.runId, stepIndex: a.stepIndex, level: a.level, metrics: record })
    .returning({ id: alerts.id });
  return row!.id;
}

/** Where the alert was posted and what it said (so Acknowledge can redraw it without its buttons). */
export async function rememberAlertMessage(
  db: Tx,
  alertId: number,
  channel: string,
  ts: string,
  record: AlertRecord & { message: Message },
): Promise<void> {
  await db.update(alerts).set({ channel, ts, metrics: record }).where(eq(alerts.id, alertId));
}

/** Record who acknowledged the alert; false when someone already had. */
export async function acknowledge(db: Tx, alertId: number, user: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(alerts)
    .set({ acknowledgedBy: user, acknowledgedAt: at })
    .where(and(eq(alerts.id, alertId), sql`${alerts.acknowledgedBy} is null`))
    .returning({ id: alerts.id });
  return rows.length > 0;
}

/** An alert with its record parsed (a record that does not parse throws, naming the alert). */
export async function findAlert(db: Tx, alertId: number) {
  const [row] = await db.select().from(alerts).where(eq(alerts.id, alertId));
  if (!row) return undefined;
  const { metrics, ...rest } = row;
  return { ...rest, record: parseAlertRecord(row.id, metrics) };
}
