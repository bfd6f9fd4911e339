/** The stand-in's channel kept in the bot's state database (sandbox_messages, sandbox_files). */
import { asc } from 'drizzle-orm';
import type { Db } from '../store/db.js';
import { sandboxFiles, sandboxMessages } from '../store/schema.js';
import type { ChannelStore, SandboxFile, SandboxMessage } from './channel.js';

export function channelStore(db: Db): ChannelStore {
  return {
    async load() {
      const rows = await db.select().from(sandboxMessages).orderBy(asc(sandboxMessages.ts));
      const files = await db
        .select()
        .from(sandboxFiles)
        .orderBy(asc(sandboxFiles.createdAt), asc(sandboxFiles.id));
      return {
        messages: rows.map(
          (r): SandboxMessage => ({
            ts: r.ts,
            channel: r.channel,
            ...(r.threadTs !== null && { threadTs: r.threadTs }),
            ...(r.broadcast && { broadcast: true }),
            text: r.text,
            blocks: r.blocks,
            ...(r.edited && { edited: true }),
            ...(r.files && { files: r.files }),
          }),
        ),
        files: files.map(
          (f): SandboxFile => ({
            id: f.id,
            name: f.name,
            title: f.title,
            filetype: f.filetype,
            mimetype: f.mimetype,
            size: f.size,
            content: f.content,
            created: Math.floor(f.createdAt.getTime() / 1000),
            ...(f.channel !== null && { channel: f.channel }),
            ...(f.threadTs !== null && { threadTs: f.threadTs }),
            ...(f.messageTs !== null && { messageTs: f.messageTs }),
          }),
        ),
      };
    },

    async saveMessage(m) {
      const row = {
        threadTs: m.threadTs ?? null,
        broadcast: m.broadcast ?? false,
        text: m.text,
        blocks: m.blocks,
        edited: m.edited ?? false,
        files: m.files ? [...m.files] : null,
      };
      await db
        .insert(sandboxMessages)
        .values({ channel: m.channel, ts: m.ts, ...row })
        .onConflictDoUpdate({ target: [sandboxMessages.channel, sandboxMessages.ts], set: row });
    },

    async saveFile(f) {
      await db
        .insert(sandboxFiles)
        .values({
          id: f.id,
          name: f.name,
          title: f.title,
          filetype: f.filetype,
          mimetype: f.mimetype,
          size: f.size,
          content: f.content,
          channel: f.channel ?? null,
          threadTs: f.threadTs ?? null,
          messageTs: f.messageTs ?? null,
          createdAt: new Date(f.created * 1000),
        })
        .onConflictDoNothing();
    },
  };
}
