/**
 * What the stand-in's channel holds (messages, threads, files) and where it is kept: in memory for tests,
 * and, when given a ChannelStore, also in the bot's state database so `npm start` shows it again after a restart.
 * Ephemeral messages are never stored: Slack drops them too when the client reloads.
 */
import { EventEmitter } from 'node:events';

/** A file as a message shows it. */
export interface SandboxFileRef {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly filetype: string;
  readonly mimetype: string;
  readonly size: number;
}

/** An uploaded file, kept whole so tests and the page can read it. */
export interface SandboxFile extends SandboxFileRef {
  readonly content: Buffer;
  readonly created: number;
  /** Where it was shared (files.completeUploadExternal with a channel), and the message that shows it. */
  readonly channel?: string;
  readonly threadTs?: string;
  readonly messageTs?: string;
}

export interface SandboxMessage {
  ts: string;
  channel: string;
  threadTs?: string;
  /** A thread reply also sent to the channel (reply_broadcast): Slack shows it in both. */
  broadcast?: boolean;
  text: string;
  blocks: unknown[];
  /** Set for ephemeral messages: only this user sees them. */
  visibleTo?: string;
  edited?: boolean;
  files?: SandboxFileRef[];
}

/** Where a channel is kept between restarts. Writes arrive in the order the stand-in made them. */
export interface ChannelStore {
  load(): Promise<{ messages: SandboxMessage[]; files: SandboxFile[] }>;
  saveMessage(m: SandboxMessage): Promise<void>;
  saveFile(f: SandboxFile): Promise<void>;
}

export interface Channel {
  readonly messages: SandboxMessage[];
  readonly files: SandboxFile[];
  readonly events: EventEmitter;
  /** A new, unique message ts ("seconds.sequence"), later than every ts already in the channel. */
  nextTs(): string;
  /** Add or replace a message (by channel and ts); resolves once it is stored. */
  upsert(m: SandboxMessage): Promise<void>;
  addFile(f: SandboxFile): Promise<void>;
  /** Waits for every pending write. */
  flushed(): Promise<void>;
}

export async function openChannel(store?: ChannelStore): Promise<Channel> {
  const saved = store ? await store.load() : { messages: [], files: [] };
  const messages = [...saved.messages];
  const files = [...saved.files];
  const events = new EventEmitter();
  let last = { seconds: 0, seq: 0 };
  for (const m of messages) {
    const [s, q] = m.ts.split('.').map(Number);
    if (s! > last.seconds || (s === last.seconds && q! > last.seq)) last = { seconds: s!, seq: q! };
  }
  // One write at a time, in order: two quick updates of one message must not land in the wrong order.
  let writes: Promise<void> = Promise.resolve();
  const write = (f: (s: ChannelStore) => Promise<void>) => {
    if (!store) return Promise.resolve();
    const next = writes.then(() => f(store));
    writes = next.catch(() => {});
    return next;
  };

  return {
    messages,
    files,
    events,
    nextTs() {
      const now = Math.floor(Date.now() / 1000);
      last = now > last.seconds ? { seconds: now, seq: 1 } : { seconds: last.seconds, seq: last.seq + 1 };
      return `${last.seconds}.${String(last.seq).padStart(6, '0')}`;
    },
    upsert(m) {
      const i = messages.findIndex((x) => x.ts === m.ts && x.channel === m.channel);
      if (i >= 0) messages[i] = m;
      else messages.push(m);
      events.emit('message', m);
      return m.visibleTo ? Promise.resolve() : write((s) => s.saveMessage(m));
    },
    addFile(f) {
      files.push(f);
      return write((s) => s.saveFile(f));
    },
    flushed: () => writes,
  };
}
