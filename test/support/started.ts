/** Start the bot as `npm start` does (a real process) and drive the sandbox page's API, as the start tests do. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/net.js';

export const ROOT = join(import.meta.dirname, '../..');

export interface Started {
  child: ChildProcess;
  url: string;
  output: string[];
}

/** How the bot is started: its entry under node (the default), `tsx src/main.ts`, or `npm start` itself. */
const COMMANDS = {
  node: [process.execPath, '--import', 'tsx', 'src/main.ts'],
  tsx: [join(ROOT, 'node_modules/.bin/tsx'), 'src/main.ts'],
  npm: ['npm', 'start'],
} as const;

/** Start the bot as a process and wait until it serves /healthz and has logged `ready`. */
export async function start(
  env: Record<string, string>,
  ready = 'Sandbox mode',
  how: keyof typeof COMMANDS = 'node',
): Promise<Started> {
  const port = await freePort();
  const output: string[] = [];
  const [file, ...args] = COMMANDS[how];
  const child = spawn(file, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, as a terminal gives it: Ctrl-C is SIGINT to the whole group
    detached: true,
  });
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output.join('')}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok && output.join('').includes(ready)) return { child, url, output };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`did not start: ${output.join('')}`);
}

/** The token the sandbox puts in each page it serves; its API needs it (src/sandbox/guard.ts). */
export async function pageToken(url: string): Promise<string> {
  const html = await (await fetch(`${url}/`)).text();
  const token = /<meta name="sandbox-token" content="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('the sandbox page carries no token');
  return token;
}

/** What the page sends: JSON with its token. */
const pagePost = async (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-sandbox-token': await pageToken(url) },
    body: JSON.stringify(body),
  });

export const command = (url: string, text: string) =>
  pagePost(url, '/sandbox/command', { user: 'U0REQUESTER', text });

export interface PageMessage {
  ts: string;
  channel: string;
  text: string;
  threadTs?: string;
  visibleTo?: string;
  edited?: boolean;
  blocks: {
    type: string;
    text?: { text: string };
    elements?: { type: string; action_id: string; value: string; text?: unknown }[];
  }[];
}

/** What a user reads in a message: its blocks' text (or the fallback text). */
export const shown = (m: PageMessage) =>
  [
    m.text,
    ...m.blocks.flatMap((b) => [
      b.text?.text ?? '',
      ...(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : '')),
    ]),
  ].join('\n');

export async function messages(url: string): Promise<PageMessage[]> {
  const r = await fetch(`${url}/sandbox/state`, { headers: { 'x-sandbox-token': await pageToken(url) } });
  return ((await r.json()) as { messages: PageMessage[] }).messages;
}

/** What the page does when `user` clicks the button `actionId` on message `m`. */
export function click(url: string, m: PageMessage, actionId: string, user: string) {
  const button = m.blocks
    .flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []))
    .find((e) => e.action_id === actionId);
  if (!button) throw new Error(`no ${actionId} button on "${m.text}"`);
  return pagePost(url, '/sandbox/action', {
    user,
    channel: m.channel,
    ts: m.ts,
    actionId,
    value: button.value,
  });
}

export const hasButton = (m: PageMessage, actionId: string) =>
  m.blocks.some((b) => b.type === 'actions' && b.elements?.some((e) => e.action_id === actionId));

export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

export async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Proc {
  pid: number;
  ppid: number;
  cmd: string;
}

/** The machine's process list, from /proc (what `ps` shows). */
export function processes(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.push({ pid: Number(entry), ppid, cmd });
    } catch {
      /* it exited while we looked */
    }
  }
  return out;
}

/** `pid` and every process under it. */
export function tree(pid: number): Proc[] {
  const all = processes();
  const found = all.filter((p) => p.pid === pid);
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i]!.pid));
  return found;
}
