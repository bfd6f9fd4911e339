/** Where each of a run's Slack messages is (its card, gate cards, thread replies), by kind. */
import { and, eq } from 'drizzle-orm';
import type { Tx } from './db.js';
import { slackMessages } from './schema.js';

export async function rememberMessage(
  db: Tx,
  runId: number,
  kind: string,
  channel: string,
  ts: string,
): Promise<void> {
  await db
    .insert(slackMessages)
    .values({ runId, kind, channel, ts })
    .onConflictDoUpdate({ target: [slackMessages.runId, slackMessages.kind], set: { channel, ts } });
}

export async function findMessage(
  db: Tx,
  runId: number,
  kind: string,
): Promise<{ channel: string; ts: string } | undefined> {
  const [row] = await db
    .select({ channel: slackMessages.channel, ts: slackMessages.ts })
    .from(slackMessages)
    .where(and(eq(slackMessages.runId, runId), eq(slackMessages.kind, kind)));
  return row;
}
