/** Pure renderers: runs and results → Block Kit. No I/O. */
import type { types } from '@slack/bolt';
import type { Approval, GateProgress } from '../deploy/approvals.js';
import type { CheckResult } from '../deploy/checks.js';
import { describeCounts } from '../deploy/diff.js';
import type { ApplyResult, PgErrorView, PreflightResult } from '../deploy/results.js';
import { describeWindow, type Window } from '../deploy/schedule.js';
import type { Run, Step, StepStatus } from '../deploy/types.js';

export type Block = types.KnownBlock;
export interface Message {
  readonly text: string;
  readonly blocks: Block[];
}

const SECTION_LIMIT = 2900;

/** Escape text for mrkdwn: Slack treats &, < and > as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(text: string, limit = SECTION_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 20)}\n… (truncated)`;
}

export const section = (text: string, block_id?: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(text) },
  ...(block_id ? { block_id } : {}),
});
export const context = (text: string): Block => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: clip(text) }],
});

const ICON: Record<StepStatus, string> = {
  pending: '▫️',
  running: '⏳',
  waiting: '⏸',
  scheduled: '🕑',
  blocked: '⛔',
  watching: '👀',
  succeeded: '✅',
  failed: '❌',
  skipped: '⏭️',
};

function stepLabel(s: Step, gate?: GateView, monitor?: string): string {
  if (s.name === 'monitor' && s.status === 'watching' && monitor)
    return `${ICON[s.status]} monitor ${esc(monitor)}`;
  if (s.name === 'approval' && gate && (s.status === 'waiting' || s.status === 'scheduled'))
    return `${ICON[s.status]} approval (${gateProgressText(gate, false)})${s.status === 'scheduled' && s.resumeAt ? ` · proceeds ${when(s.resumeAt)}` : ''}`;
  if (s.name === 'approval' && s.status === 'succeeded') return `${ICON[s.status]} approved`;
  const detail = s.summary && s.status !== 'pending' ? ` ${esc(s.summary)}` : '';
  return `${ICON[s.status]} ${s.name}${detail}`;
}

const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** What a gate shows: its rules, who approved, any conditions or rejection. */
export interface GateView {
  readonly env: string;
  readonly index: number;
  readonly digest: string;
  readonly approvals: readonly Approval[];
  /** Undefined when a user group could not be read from Slack. */
  readonly progress?: GateProgress;
  readonly window?: Window;
}

function gateProgressText(g: GateView, names: boolean): string {
  if (!g.progress) return 'rules unavailable';
  return g.progress.rules
    .map((r) => {
      const done = r.approvers.length >= r.need;
      const who = names && r.approvers.length ? ` ${r.approvers.map((u) => `<@${u}>`).join(', ')}` : '';
      return `${esc(r.role)} ${Math.min(r.approvers.length, r.need)}/${r.need}${done ? ' ✅' : ''}${who}`;
    })
    .join(', ');
}

export interface ButtonValue {
  readonly r: number;
  readonly i: number;
  readonly d: string;
}

/** Who acts when nobody pressed a button (automatic rollbacks, scheduler decisions). */
export const SYSTEM_ACTOR = 'migration-gate';

export const ACTIONS = {
  approve: 'gate.approve',
  conditions: 'gate.conditions',
  reject: 'gate.reject',
  cancel: 'run.cancel',
  rollback: 'run.rollback',
  rerun: 'run.rerun_verify',
  verifyNow: 'run.verify',
  reasonModal: 'gate.reason',
} as const;

/** The approval card: a thread reply, updated in place after every click. */
export function approvalCard(run: Run, g: GateView): Message {
  const step = run.steps[g.index]!;
  const files = Object.entries(run.checksums)
    .map(([id, sum]) => `• \`${esc(id)}.sql\` sha256 \`${sum.slice(0, 12)}\``)
    .join('\n');
  const before = run.steps
    .slice(0, g.index)
    .filter((s) => s.status === 'succeeded' && s.name !== 'approval')
    .map((s) => `${esc(s.env)} ${s.name}: ${esc(s.summary ?? 'done')}`)
    .join(' · ');
  const rollback = step.purpose === 'rollback';
  const lines = rollback
    ? [
        `*Rollback approval needed: ${esc(g.env)}* · run #${run.id} \`${esc(run.migration)}\` · asked by <@${run.endedBy}>: ${esc(run.reason ?? '')}`,
        `Will run on *${esc(g.env)}* the down files of what this run applied there.`,
      ]
    : [
        `*Approval needed: ${esc(g.env)}* · run #${run.id} \`${esc(run.migration)}\` requested by <@${run.requestedBy}>`,
        `Will apply on *${esc(g.env)}* exactly these files:\n${files || '(none)'}`,
      ];
  if (before) lines.push(`So far: ${before}`);
  lines.push(`*Rules:* ${gateProgressText(g, true)}`);
  const conditions = g.approvals.filter((a) => a.decision === 'conditions');
  if (conditions.length)
    lines.push(
      `⚠️ *Conditions:*\n${conditions.map((a) => `• <@${a.user}>: ${esc(a.reason ?? '')}`).join('\n')}`,
    );
  const rejected = g.approvals.find((a) => a.decision === 'reject');
  if (rejected)
    lines.push(`❌ *Rejected* by <@${rejected.user}> ${when(rejected.at)}: ${esc(rejected.reason ?? '')}`);
  if (g.window) lines.push(`Deployment window: ${esc(describeWindow(g.window))}`);
  const blocks: Block[] = [section(lines.join('\n'), `gate-${g.index}`)];
  const open = run.status === 'running' && step.status === 'waiting';
  if (open) {
    const value = JSON.stringify({ r: run.id, i: g.index, d: g.digest } satisfies ButtonValue);
    blocks.push({
      type: 'actions',
      block_id: `gate-actions-${g.index}`,
      elements: [
        {
          type: 'button',
          action_id: ACTIONS.approve,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value,
        },
        {
          type: 'button',
          action_id: ACTIONS.conditions,
          text: { type: 'plain_text', text: 'Approve with conditions' },
          value,
        },
        {
          type: 'button',
          action_id: ACTIONS.reject,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value,
        },
      ],
    });
    if (step.expiresAt) blocks.push(context(`Expires ${when(step.expiresAt)} if not approved.`));
  } else if (step.status === 'scheduled' && step.resumeAt)
    blocks.push(context(`✅ Approved. Outside the deployment window: proceeds ${when(step.resumeAt)}.`));
  else
    blocks.push(
      context(
        run.status === 'running' || step.status === 'succeeded'
          ? '✅ Approved.'
          : `Closed: ${esc(run.status)}.`,
      ),
    );
  return {
    text: `${rollback ? 'Rollback approval' : 'Approval'} needed for ${g.env}: run #${run.id} ${run.migration}`,
    blocks,
  };
}

/** The modal that asks why (Reject) or on what conditions (Approve with conditions). */
export function reasonModal(
  decision: 'reject' | 'conditions',
  value: ButtonValue,
  channel: string,
  env: string,
) {
  const reject = decision === 'reject';
  return {
    type: 'modal',
    callback_id: ACTIONS.reasonModal,
    private_metadata: JSON.stringify({ ...value, decision, channel }),
    title: { type: 'plain_text', text: reject ? 'Reject' : 'Approve with conditions' },
    submit: { type: 'plain_text', text: reject ? 'Reject' : 'Approve' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'reason',
        label: { type: 'plain_text', text: reject ? `Why reject ${env}?` : `Conditions for ${env}` },
        element: {
          type: 'plain_text_input',
          action_id: 'text',
          multiline: true,
          min_length: 3,
          max_length: 1000,
        },
      },
    ],
  };
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function runStatusLine(run: Run): string {
  switch (run.status) {
    case 'running':
      return `⏳ Running since ${run.createdAt.slice(11, 19)} UTC`;
    case 'succeeded': {
      const ms = run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.createdAt) : 0;
      return `✅ Succeeded in ${formatMs(ms)}`;
    }
    case 'failed':
      return `❌ Failed: ${esc(run.reason ?? 'see the thread')}`;
    case 'cancelled':
      return `🚫 Cancelled by <@${run.endedBy}> ${when(run.finishedAt ?? run.createdAt)}`;
    case 'rejected':
      return `❌ Rejected by <@${run.endedBy}>: ${esc(run.reason ?? '')}`;
    case 'expired':
      return `⌛ Expired: ${esc(run.reason ?? 'nobody approved in time')}`;
    case 'rolled_back':
      return run.endedBy === SYSTEM_ACTOR
        ? `↩️ Rolled back automatically: ${esc(run.reason ?? '')}`
        : `↩️ Rolled back by <@${run.endedBy}>: ${esc(run.reason ?? '')}`;
  }
}

/** The run card: one message in the channel, updated in place as the run moves. */
export function runCard(
  run: Run,
  gates: ReadonlyMap<number, GateView> = new Map(),
  monitors: ReadonlyMap<number, string> = new Map(),
): Message {
  const envs = [...new Set(run.steps.map((s) => s.env))];
  const lines = envs.map(
    (env) =>
      `*${esc(env)}:*  ${run.steps
        .map((s, i) => (s.env === env ? stepLabel(s, gates.get(i), monitors.get(i)) : ''))
        .filter(Boolean)
        .join('  ·  ')}`,
  );
  const title = `*Run #${run.id}* · \`${esc(run.migration)}\` · requested by <@${run.requestedBy}>`;
  return {
    text: `Run #${run.id} · ${run.migration} · ${run.status}`,
    blocks: [
      section(title, 'title'),
      section(lines.join('\n'), 'envs'),
      context(runStatusLine(run)),
      ...runActions(run),
    ],
  };
}

const button = (action_id: string, text: string, value: ButtonValue, extra: object = {}) => ({
  type: 'button',
  action_id,
  text: { type: 'plain_text', text },
  value: JSON.stringify(value),
  ...extra,
});

const confirm = (title: string, text: string, yes: string) => ({
  confirm: {
    title: { type: 'plain_text', text: title },
    text: { type: 'plain_text', text },
    confirm: { type: 'plain_text', text: yes },
    deny: { type: 'plain_text', text: 'Go back' },
  },
});

/** The run card's buttons: what a person can do with the run now. */
function runActions(run: Run): Block[] {
  const elements: object[] = [];
  const blocked = run.steps.findIndex((s) => s.status === 'blocked');
  const lastVerify = run.steps
    .map((s, i) => (s.name === 'verify' && s.status !== 'pending' && s.status !== 'skipped' ? i : -1))
    .filter((i) => i >= 0)
    .at(-1);
  if (run.status === 'running' && blocked !== -1) {
    const v = { r: run.id, i: blocked, d: '' };
    const env = run.steps[blocked]!.env;
    elements.push(
      button(ACTIONS.rollback, 'Roll back', v, {
        style: 'danger',
        ...confirm(`Roll back ${env}?`, `The down files of this run run on ${env}.`, 'Roll back'),
      }),
      button(ACTIONS.rerun, 'Re-run verification', v),
    );
  }
  if (lastVerify !== undefined && blocked === -1)
    elements.push(button(ACTIONS.verifyNow, 'Run verification', { r: run.id, i: lastVerify, d: '' }));
  if (run.status === 'running')
    elements.push(
      button(
        ACTIONS.cancel,
        'Cancel',
        { r: run.id, i: -1, d: '' },
        confirm('Cancel this run?', `Run #${run.id} stops; nothing more is applied.`, 'Cancel run'),
      ),
    );
  return elements.length ? [{ type: 'actions', block_id: 'run-actions', elements } as Block] : [];
}

export function formatPgError(e: PgErrorView): string {
  const lines = [`ERROR${e.code ? ` ${e.code}` : ''}: ${e.message}`];
  if (e.detail) lines.push(`DETAIL: ${e.detail}`);
  if (e.hint) lines.push(`HINT: ${e.hint}`);
  if (e.where) lines.push(`CONTEXT: ${e.where}`);
  return `\`${esc(e.file)}:${e.line}:${e.column}\`${e.statement ? ` (statement ${e.statement})` : ''}\n\`\`\`${esc(lines.join('\n'))}\`\`\``;
}

export function preflightReply(r: PreflightResult): Message {
  const head = `*Preflight on ${esc(r.env)}* ${r.ok ? '✅' : '❌'}`;
  const lines = [head];
  if (r.serverVersion) lines.push(`PostgreSQL ${esc(r.serverVersion)} · connected in ${r.connectMs} ms`);
  if (r.pending.length) {
    lines.push(
      `Pending (${r.pending.length}):\n${r.pending
        .map(
          (p) =>
            `• \`${esc(p.id)}.sql\` sha256 \`${p.checksum.slice(0, 12)}\` · ${p.statements} statements${p.outsideTransaction ? ` · runs outside a transaction (${esc(p.outsideTransaction)})` : ''}`,
        )
        .join('\n')}`,
    );
  } else if (r.ok) lines.push('Nothing pending: already applied here.');
  if (r.ok) lines.push(r.drift.length ? '' : 'No drift: every applied file matches its ledger checksum.');
  if (r.outOfOrder.length)
    lines.push(`⚠️ Older than the newest applied migration: ${r.outOfOrder.map(esc).join(', ')}`);
  if (r.unknown.length) lines.push(`⚠️ In the ledger but not in the folder: ${r.unknown.map(esc).join(', ')}`);
  if (r.counts) lines.push(`Catalog: ${describeCounts(r.counts)}`);
  if (r.parseError) lines.push(formatPgError(r.parseError));
  else if (r.problem) lines.push(esc(r.problem));
  return {
    text: `Preflight on ${r.env}: ${r.ok ? 'passed' : 'failed'}`,
    blocks: [section(lines.filter(Boolean).join('\n'))],
  };
}

export function applyReply(r: ApplyResult): Message {
  const lines = [`*Apply on ${esc(r.env)}* ${r.ok ? '✅' : '❌'}`];
  for (const f of r.files)
    lines.push(
      `• \`${esc(f.id)}.sql\` · ${f.statements} statements in ${formatMs(f.durationMs)} · ${f.lockRetries} lock retries · ${f.outsideTransaction ? `outside a transaction (${esc(f.outsideTransaction)})` : 'one transaction'}`,
    );
  if (r.ok && r.files.length === 0)
    lines.push('Nothing to apply: every file up to this migration is in the ledger.');
  if (r.failure) {
    const f = r.failure;
    lines.push(
      `• \`${esc(f.id)}.sql\` failed after ${formatMs(f.durationMs)} with ${f.lockRetries} lock retries`,
    );
    lines.push(formatPgError(f.error));
    if (f.outsideTransaction)
      lines.push(
        `⚠️ This file ran outside a transaction (${esc(f.outsideTransaction)}): ${f.statementsKept} statement(s) before the failing one stay applied; the ledger has no row for it. Undo them or make the file re-runnable (IF NOT EXISTS), then run again.`,
      );
    else
      lines.push(
        r.catalogUnchanged
          ? 'The transaction was rolled back: the catalog after equals the catalog before. Nothing was recorded in the ledger.'
          : 'The transaction was rolled back and nothing was recorded for this file; files before it in this run stay applied.',
      );
  }
  if (r.problem) lines.push(esc(r.problem));
  if (r.diffSummary && r.files.length)
    lines.push(`*Schema:* ${esc(r.diffSummary)}${r.countsSummary ? `; ${esc(r.countsSummary)}` : ''}`);
  if (r.changes && r.files.length) {
    const names = (items: string[]) => items.map((i) => `\`${esc(i)}\``).join(', ');
    for (const c of r.changes) {
      if (c.added.length) lines.push(`*Added ${c.what}:* ${names(c.added)}`);
      if (c.removed.length) lines.push(`*Removed ${c.what}:* ${names(c.removed)}`);
      if (c.changed.length) lines.push(`*Changed ${c.what}:* ${names(c.changed)}`);
    }
  }
  return {
    text: `Apply on ${r.env}: ${r.ok ? 'done' : 'failed'}`,
    blocks: [section(lines.filter(Boolean).join('\n'))],
  };
}

export const HELP = [
  '*/deploy-migration* deploys PostgreSQL migrations from this channel.',
  '• `/deploy-migration <migration> [to <environment>]`: deploy through every environment in order (or up to one), with approvals where deploy.yml asks for them (e.g. `/deploy-migration 024_atomic_user_behavior_updates`)',
  '• `/deploy-migration status [#run]`: a run (who approved what and when), or the latest runs',
  '• `/deploy-migration cancel #run`: stop a run (its requester or an approver of its next gate)',
  '• `/deploy-migration verify <migration|#run> [on <environment>]`: run the checks now and show the table',
  '• `/deploy-migration watch #run`: the latest monitoring figures; `checkpoint #run` takes one now',
  '• `/deploy-migration list`: every migration in every environment (applied when, checksum, drift)',
  '• `/deploy-migration help`: this message',
].join('\n');

export function textMessage(text: string): Message {
  return { text, blocks: [section(text)] };
}

export function statusList(runs: readonly Run[]): Message {
  if (!runs.length) return textMessage('No runs yet. Start one with `/deploy-migration <migration>`.');
  const lines = runs.map(
    (r) =>
      `${r.status === 'succeeded' ? '✅' : r.status === 'failed' ? '❌' : r.status === 'running' ? '⏳' : '🚫'} *#${r.id}* \`${esc(r.migration)}\` → ${esc([...new Set(r.steps.map((s) => s.env))].join(', '))} · <@${r.requestedBy}> · ${r.createdAt.slice(0, 16).replace('T', ' ')} UTC`,
  );
  return { text: `Latest ${runs.length} runs`, blocks: [section(`*Latest runs*\n${lines.join('\n')}`)] };
}

export interface ListCell {
  readonly state: 'applied' | 'pending' | 'drift' | 'unreachable';
  readonly appliedAt?: string;
}

export function migrationList(
  envs: readonly string[],
  rows: readonly { id: string; checksum: string; cells: ListCell[] }[],
  problems: readonly string[],
): Message {
  const cell = (c: ListCell) =>
    c.state === 'applied'
      ? `✅ ${c.appliedAt?.slice(0, 16)}`
      : c.state === 'drift'
        ? '⚠️ drift'
        : c.state === 'pending'
          ? '▫️ pending'
          : '❔ unreachable';
  const width = Math.max(9, ...rows.map((r) => r.id.length)) + 2;
  const header = `${'migration'.padEnd(width)}${'sha256'.padEnd(14)}${envs.map((e) => e.padEnd(20)).join('')}`;
  const body = rows.map(
    (r) =>
      `${r.id.padEnd(width)}${r.checksum.slice(0, 12).padEnd(14)}${r.cells.map((c) => cell(c).padEnd(20)).join('')}`,
  );
  const text = `*Migrations × environments*\n\`\`\`${esc([header, ...body].join('\n'))}\`\`\``;
  const blocks = [section(text)];
  if (problems.length) blocks.push(context(problems.map((p) => `⚠️ ${esc(p)}`).join('\n')));
  return { text: `${rows.length} migrations in ${envs.length} environments`, blocks };
}

/** The run report: every step with what it measured, every decision with who and when. */
export function runReport(
  run: Run,
  approvals: readonly (Approval & { index: number })[],
  checks: ReadonlyMap<number, readonly CheckResult[]> = new Map(),
): Message {
  const lines = [
    `*Run #${run.id} report* · \`${esc(run.migration)}\` · requested by <@${run.requestedBy}> ${when(run.createdAt)}`,
  ];
  lines.push(runStatusLine(run));
  for (const [i, s] of run.steps.entries()) {
    const took = s.durationMs !== undefined ? ` in ${formatMs(s.durationMs)}` : '';
    lines.push(`${ICON[s.status]} ${esc(s.env)} ${s.name}${s.summary ? `: ${esc(s.summary)}` : ''}${took}`);
    for (const a of approvals.filter((x) => x.index === i)) {
      const what =
        a.decision === 'approve'
          ? 'approved'
          : a.decision === 'conditions'
            ? 'approved with conditions'
            : 'rejected';
      lines.push(`      <@${a.user}> ${what} ${when(a.at)}${a.reason ? `: ${esc(a.reason)}` : ''}`);
    }
  }
  lines.push(
    `Files: ${
      Object.entries(run.checksums)
        .map(([id, sum]) => `\`${esc(id)}\` ${sum.slice(0, 12)}`)
        .join(', ') || '(none)'
    }`,
  );
  const blocks: Block[] = [section(lines.join('\n'), 'report')];
  // Every check, not just the ones the thread's table had room for.
  for (const [i, results] of checks) {
    const list = results.map(
      (r) =>
        `${r.status === 'pass' ? '✅' : r.severity === 'warning' ? '⚠️' : '❌'} ${esc(r.name)}: ${esc(r.error ?? r.actual)}${r.status === 'pass' ? '' : ` (target ${esc(r.target)})`}`,
    );
    if (list.length)
      blocks.push(
        section(`*Checks, ${esc(run.steps[i]!.env)} verify*\n${list.join('\n')}`, `report-checks-${i}`),
      );
  }
  return { text: `Run #${run.id} report: ${run.status}`, blocks: blocks.slice(0, 50) };
}
