/** Renderer inputs full of strings Slack would act on, and what to look for in the output (escape tests). */
import type { CheckResult } from '../../src/deploy/checks.js';
import type { Judged } from '../../src/deploy/monitoring.js';
import type { Run, Step } from '../../src/deploy/types.js';
import type { GateView } from '../../src/slack/gate-blocks.js';
import type { Message } from '../../src/slack/mrkdwn.js';

/** What a hostile (or just unlucky) string in a file, a reason or a database error looks like. */
export const BAD = '<!channel> & <https://evil.example|click> <@U0EVIL>';
export const BAD_ESCAPED = '&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &lt;@U0EVIL&gt;';
/** The mentions the bot makes itself: these must stay live. */
export const REAL = ['<@U0REQUESTER>', '<@U0DBA>', '<!subteam^S0ONCALL>'];

/** Every string Slack reads as mrkdwn: the fallback text, section texts and fields, context elements. */
export function mrkdwnOf(m: Message): string[] {
  const out = [m.text];
  for (const b of m.blocks as {
    text?: { type: string; text: string };
    fields?: { type: string; text: string }[];
    elements?: { type: string; text?: string }[];
  }[]) {
    if (b.text?.type === 'mrkdwn') out.push(b.text.text);
    for (const f of b.fields ?? []) if (f.type === 'mrkdwn') out.push(f.text);
    for (const e of b.elements ?? []) if (e.type === 'mrkdwn' && e.text) out.push(e.text);
  }
  return out;
}

/** The control characters left once the bot's own mentions are taken out: none may remain. */
export function unescaped(text: string): string[] {
  let rest = text;
  for (const r of REAL) rest = rest.split(r).join('');
  return [...rest.matchAll(/[<>]|&(?!amp;|lt;|gt;)/g)].map(
    (m) => `…${rest.slice(Math.max(0, m.index - 20), m.index + 20)}…`,
  );
}

export const at = '2026-11-21T10:00:00.000Z';
export const step = (
  env: string,
  name: Step['name'],
  status: Step['status'],
  extra: Partial<Step> = {},
): Step => ({
  env,
  name,
  status,
  startedAt: at,
  summary: BAD,
  ...extra,
});
export const run = (patch: Partial<Run> = {}): Run => ({
  id: 17,
  migration: `024_x${BAD}`,
  requestedBy: 'U0REQUESTER',
  channel: 'C1',
  status: 'running',
  steps: [
    step('staging', 'apply', 'succeeded'),
    step('staging', 'verify', 'blocked'),
    step('production', 'approval', 'waiting', { summary: undefined }),
    step('production', 'monitor', 'watching'),
  ],
  checksums: { [`024_x${BAD}`]: 'a'.repeat(64) },
  version: 1,
  createdAt: at,
  reason: BAD,
  endedBy: 'U0DBA',
  ...patch,
});
export const check = (status: CheckResult['status']): CheckResult => ({
  name: BAD,
  kind: 'sql',
  severity: 'blocker',
  source: BAD,
  status,
  target: BAD,
  actual: BAD,
  durationMs: 3,
  ...(status === 'error' ? { error: BAD } : {}),
});
export const pgError = {
  code: '42P01',
  message: BAD,
  detail: BAD,
  hint: BAD,
  where: BAD,
  file: BAD,
  line: 1,
  column: 2,
};
export const gate: GateView = {
  env: 'production',
  index: 2,
  digest: 'd',
  approvals: [
    { user: 'U0DBA', decision: 'conditions', reason: BAD, at },
    { user: 'U0DBA', decision: 'reject', reason: BAD, at },
  ],
  progress: { satisfied: false, rules: [{ role: BAD, need: 2, approvers: ['U0DBA'] }] },
  window: { days: ['tue'], from: '02:00', to: '06:00', timezone: 'UTC' },
};
export const judged = (j: Partial<Judged>): Judged & { unit: string; dryRun: boolean } => ({
  key: 'error_rate',
  raw: 'critical',
  level: 'critical',
  streak: 1,
  value: 26.9,
  line: `> 1%${BAD}`,
  unit: '%',
  dryRun: false,
  ...j,
});
