/** Block Kit basics shared by every renderer: text, sections, times, buttons. Pure. */
import type { types } from '@slack/bolt';
import { durationText } from '../deploy/duration-text.js';
import type { RefValue } from './refs.js';

export type Block = types.KnownBlock;
export interface Message {
  readonly text: string;
  readonly blocks: Block[];
}

const SECTION_LIMIT = 2900;

/**
 * Escape text for mrkdwn: Slack treats &, < and > as control characters (links, mentions, `<!channel>`), even
 * inside backticks. Every string a user typed or a file holds goes through this before it reaches mrkdwn.
 */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const GROUP_ID = /^S[A-Z0-9]{2,}$/;
/** A mention the bot makes: `<@U…>` for a Slack user id; anything else (e.g. SYSTEM_ACTOR) is shown as text. */
export const mention = (user: string) => (USER_ID.test(user) ? `<@${user}>` : esc(user));
/** A user group mention the bot makes: `<!subteam^S…>`. */
export const groupMention = (id: string) => (GROUP_ID.test(id) ? `<!subteam^${id}>` : esc(id));

/**
 * A plain sentence (a refusal, a problem) that may hold mentions written by the bot (`<@U…>`, `<!subteam^S…>`):
 * everything is escaped except those exact mention tokens.
 */
export function escKeepingMentions(text: string): string {
  return text
    .split(/(<@[UW][A-Z0-9]{2,}>|<!subteam\^S[A-Z0-9]{2,}>)/)
    .map((part, i) => (i % 2 ? part : esc(part)))
    .join('');
}

/**
 * A sentence the bot wrote around text it did not (a run's reason: "rejected by <@U0DBA> (<what they typed>)"):
 * everything is escaped except the mentions of `users`, the people the bot itself names there. A mention of
 * anyone else inside it came from the typed text, a file or a database error, and is shown as text.
 */
export function escKeepingMentionsOf(text: string, users: readonly (string | undefined)[]): string {
  const keep = new Set(users.flatMap((u) => (u && USER_ID.test(u) ? [`<@${u}>`] : [])));
  return text
    .split(/(<@[UW][A-Z0-9]{2,}>)/)
    .map((part, i) => (i % 2 && keep.has(part) ? part : esc(part)))
    .join('');
}

/** "1 statement", "3 statements", "1,200 files". */
export const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function clip(text: string, limit = SECTION_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 20)}\n… (truncated)`;
}

export const section = (text: string, block_id?: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text) },
  ...(block_id ? { block_id } : {}),
});
const FENCE = '```';
const fences = (text: string) => text.split(FENCE).length - 1;

/**
 * One text longer than `limit`, in pieces that each fit: cut at a line break, else at a space, else anywhere
 * (never inside an `&amp;` entity or a surrogate pair). A ``` block cut in two is closed and reopened.
 */
function pieces(text: string, limit: number): string[] {
  const out: string[] = [];
  let rest = text;
  let open = false;
  while (rest) {
    const prefix: string = open ? FENCE : '';
    if (prefix.length + rest.length <= limit) {
      out.push(prefix + rest);
      break;
    }
    const room = limit - prefix.length - FENCE.length;
    let cut = rest.lastIndexOf('\n', room);
    if (cut < room / 2) cut = rest.lastIndexOf(' ', room);
    let skip = 1;
    if (cut < room / 2) {
      cut = room;
      skip = 0;
      const amp = rest.lastIndexOf('&', cut);
      if (amp > cut - 8 && !rest.slice(amp, cut).includes(';')) cut = amp;
      if (/[\ud800-\udbff]/.test(rest[cut - 1] ?? '')) cut--;
    }
    let piece: string = prefix + rest.slice(0, cut);
    rest = rest.slice(cut + skip);
    open = fences(piece) % 2 === 1;
    if (open) piece += FENCE;
    out.push(piece);
  }
  return out;
}

/**
 * Lines in as many sections as they need (a section holds 3,000 characters): nothing is cut. A line longer
 * than a section is split over several.
 */
export function sections(lines: readonly string[], block_id: string): Block[] {
  const out: string[] = [];
  for (const line of lines.flatMap((l) => (l.length > SECTION_LIMIT ? pieces(l, SECTION_LIMIT) : [l]))) {
    const last = out.at(-1);
    if (last !== undefined && last.length + 1 + line.length <= SECTION_LIMIT)
      out[out.length - 1] = `${last}\n${line}`;
    else out.push(line);
  }
  return out.map((text, i) => section(text, i ? `${block_id}-${i}` : block_id));
}
export const context = (text: string): Block => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clip(text) }],
});

export const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** A duration for people, as every message writes it: durationText (840 ms, 8.1 s, 2 min 5 s, 3 h 12 min). */
export const formatMs = (ms: number): string => durationText(ms);

/** Who acts when nobody pressed a button (automatic rollbacks, scheduler decisions). */
export const SYSTEM_ACTOR = 'migration-gate';

export const ACTIONS = {
  approve: 'gate.approve',
  conditions: 'gate.conditions',
  reject: 'gate.reject',
  cancel: 'run.cancel',
  rollback: 'run.rollback',
  rerun: 'run.rerun_verify',
  retryApply: 'run.retry_apply',
  verifyNow: 'run.verify',
  reasonModal: 'gate.reason',
} as const;

/** A button whose value is a reference encoded by refs.ts (decoded there when it comes back). `style` and `confirm` go in extra. */
export const button = (action_id: string, text: string, value: RefValue, extra: object = {}) => ({
  type: 'button',
  action_id,
  text: { type: 'plain_text', text },
  value,
  ...extra,
});
