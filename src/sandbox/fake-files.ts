/**
 * files.uploadV2 against the stand-in, as @slack/web-api 8 drives it:
 *   1. files.getUploadURLExternal { filename, length } → { upload_url, file_id }
 *   2. POST upload_url with the bytes (multipart/form-data, one file field; a raw body works too)
 *   3. files.completeUploadExternal { files: [{ id, title }], channel_id?, thread_ts?, initial_comment?, blocks? }
 *      → the files are shared as one message in the channel (in the thread when thread_ts is given).
 * The uploaded files are kept whole; GET /files/<id> serves one with the type its name gives (image/png,
 * text/markdown; charset=utf-8, …): the page's "View", its inline images and the permalinks.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Channel, SandboxFile, SandboxFileRef } from './channel.js';

const TYPES: Record<string, [filetype: string, mimetype: string]> = {
  md: ['markdown', 'text/markdown'],
  markdown: ['markdown', 'text/markdown'],
  txt: ['text', 'text/plain'],
  json: ['json', 'application/json'],
  csv: ['csv', 'text/csv'],
  sql: ['sql', 'text/plain'],
  yml: ['yaml', 'text/plain'],
  yaml: ['yaml', 'text/plain'],
  png: ['png', 'image/png'],
};

interface Pending {
  readonly id: string;
  readonly name: string;
  content?: Buffer;
}

export interface FakeFiles {
  /** The Web API methods; undefined for a method that is not about files. */
  api(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> | undefined;
  /** The upload POST and GET /files/<id>; true when handled. */
  route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

export function fakeFiles(channel: Channel, base: () => string): FakeFiles {
  const pending = new Map<string, Pending>();
  const publicFile = (f: SandboxFile) => ({
    id: f.id,
    name: f.name,
    title: f.title,
    filetype: f.filetype,
    mimetype: f.mimetype,
    size: f.size,
    created: f.created,
    url_private: `${base()}/files/${f.id}`,
    permalink: `${base()}/files/${f.id}`,
  });

  async function complete(a: Record<string, unknown>): Promise<Record<string, unknown>> {
    const list = a.files;
    if (!Array.isArray(list) || list.length === 0) return { ok: false, error: 'invalid_arguments' };
    const wanted = list.map((f) => f as { id?: unknown; title?: unknown });
    const uploads = wanted.map((f) => pending.get(String(f.id)));
    if (uploads.some((u) => !u?.content)) return { ok: false, error: 'file_not_found' };
    const channelId = a.channel_id ? String(a.channel_id) : undefined;
    const threadTs = channelId && a.thread_ts ? String(a.thread_ts) : undefined;
    const messageTs = channelId ? channel.nextTs() : undefined;
    const created = Math.floor(Date.now() / 1000);
    const files = uploads.map((u, i): SandboxFile => {
      const [filetype, mimetype] = TYPES[u!.name.split('.').pop()!.toLowerCase()] ?? [
        'binary',
        'application/octet-stream',
      ];
      const title = wanted[i]!.title;
      return {
        id: u!.id,
        name: u!.name,
        title: typeof title === 'string' && title ? title : u!.name,
        filetype,
        mimetype,
        size: u!.content!.length,
        content: u!.content!,
        created,
        ...(channelId && { channel: channelId, messageTs }),
        ...(threadTs && { threadTs }),
      };
    });
    for (const f of files) {
      pending.delete(f.id);
      await channel.addFile(f);
    }
    if (channelId && messageTs) {
      const refs: SandboxFileRef[] = files.map(({ id, name, title, filetype, mimetype, size }) => ({
        id,
        name,
        title,
        filetype,
        mimetype,
        size,
      }));
      await channel.upsert({
        ts: messageTs,
        channel: channelId,
        ...(threadTs && { threadTs }),
        text: typeof a.initial_comment === 'string' ? a.initial_comment : '',
        blocks: Array.isArray(a.blocks) ? a.blocks : [],
        files: refs,
      });
    }
    return { ok: true, files: files.map(publicFile) };
  }

  return {
    api(method, a) {
      if (method === 'files.getUploadURLExternal') {
        const length = Number(a.length);
        if (typeof a.filename !== 'string' || !a.filename || !Number.isInteger(length) || length < 0)
          return Promise.resolve({ ok: false, error: 'invalid_arguments' });
        const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
        pending.set(id, { id, name: a.filename });
        return Promise.resolve({ ok: true, upload_url: `${base()}/upload/${id}`, file_id: id });
      }
      if (method === 'files.completeUploadExternal') return complete(a);
      return undefined;
    },

    async route(req, res, url) {
      const id = /^\/(?:upload|files)\/(F[A-Z0-9]+)$/.exec(url.pathname)?.[1];
      if (!id) return false;
      if (req.method === 'POST' && url.pathname.startsWith('/upload/')) {
        const upload = pending.get(id);
        const body = await readRaw(req);
        if (!upload) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown upload');
          return true;
        }
        upload.content = await fileOf(req, body);
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${upload.content.length}`);
        return true;
      }
      if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
        const f = channel.files.find((x) => x.id === id);
        if (!f) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('file_not_found');
          return true;
        }
        const charset = /^text\/|json/.test(f.mimetype) ? '; charset=utf-8' : '';
        res.writeHead(200, {
          'content-type': `${f.mimetype}${charset}`,
          'content-disposition': `inline; filename="${f.name.replace(/[^\w.-]/g, '_')}"`,
          'cache-control': 'no-store',
          // the type it was uploaded as, never a browser's guess from the bytes
          'x-content-type-options': 'nosniff',
        });
        res.end(f.content);
        return true;
      }
      return false;
    },
  };
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The uploaded bytes: the one file field of a multipart body, or the raw body. */
async function fileOf(req: IncomingMessage, body: Buffer): Promise<Buffer> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) return body;
  const form = await new Response(body, { headers: { 'content-type': type } }).formData();
  const file = [...form.values()].find((v) => typeof v !== 'string');
  return file ? Buffer.from(await file.arrayBuffer()) : body;
}
