/** Pure renderers for approval gates: the approval card and the reason modal. */
import type { Approval, GateProgress } from '../deploy/approvals.js';
import type { TouchedSet } from '../deploy/backup-plan.js';
import { type GateKind, gateKind } from '../deploy/gate-name.js';
import type { LintReport } from '../deploy/lint.js';
import type { MeasuredTrace, RelationSize } from '../deploy/lock-trace.js';
import { isBaseline } from '../deploy/plan.js';
import { describeLoss } from '../deploy/rollback-loss.js';
import { describeRollback, type RollbackPlan } from '../deploy/rollback-plan.js';
import { describeWindow, type Window } from '../deploy/schedule.js';
import type { Run } from '../deploy/types.js';
import { afterGateLines } from './after-blocks.js';
import { restoreGateLines } from './backup-blocks.js';
import { approvalLint } from './lint-blocks.js';
import {
  ACTIONS,
  type Block,
  button,
  context,
  esc,
  type Message,
  mention,
  plural,
  sections,
  when,
} from './mrkdwn.js';
import { encodeReasonRef, encodeStepRef, type StepRef } from './refs.js';
import { approvalTrace } from './trace-blocks.js';

/** What a gate shows: its rules, who approved, any conditions or rejection. */
export interface GateView {
  readonly env: string;
  readonly index: number;
  readonly digest: string;
  readonly approvals: readonly Approval[];
  /** Undefined when a user group could not be read from Slack. */
  readonly progress?: GateProgress;
  readonly window?: Window;
  /** A deploy gate: the files pending on this environment (its preflight), in the order they will be applied. */
  readonly files?: readonly {
    id: string;
    checksum: string;
    statements: number;
    outsideTransaction?: string;
  }[];
  /** A deploy gate: what lint found in those files (errors let through by an allow, with its reason). */
  readonly lint?: LintReport;
  /** A deploy gate: the locks those files took on an earlier environment, and the tables' sizes here. */
  readonly locks?: { measured: MeasuredTrace; sizes?: RelationSize[] };
  /** A rollback gate: what the rollback will undo and what stays applied. */
  readonly rollback?: RollbackPlan;
  /**
   * A rollback gate: what its down files drop (their parse trees, backup-plan.ts's walk) and how many tables the
   * backup taken before apply copied there (undefined: none was taken), for the card's data-loss line.
   */
  readonly loss?: { readonly down: TouchedSet; readonly backedUp?: number };
  /** A restore gate (after a rollback): what restore from backup will put back, a line per table. */
  readonly restore?: readonly string[];
}

export function gateProgressText(g: GateView, names: boolean): string {
  if (!g.progress) return 'rules unavailable';
  return g.progress.rules
    .map((r) => {
      const done = r.approvers.length >= r.need;
      const who = names && r.approvers.length ? ` ${r.approvers.map((u) => `<@${u}>`).join(', ')}` : '';
      return `${esc(r.role)} ${Math.min(r.approvers.length, r.need)}/${r.need}${done ? ' ✅' : ''}${who}`;
    })
    .join(', ');
}

/** A stage's gate in a title: " · stage 2 of 3: business" (nothing for an environment's only gate). */
export function stageTitle(run: Run, index: number): string {
  const step = run.steps[index]!;
  if (step.stage === undefined) return '';
  const stages = run.steps.filter(
    (s) => s.env === step.env && s.name === 'approval' && s.stage !== undefined,
  );
  return ` · stage ${stages.indexOf(step) + 1} of ${stages.length}: ${esc(step.stage)}`;
}

/** The rollback card's warning when its down files drop data, with whether a backup can put it back. */
function lossLine(g: GateView): string[] {
  const line = g.loss && describeLoss(g.loss.down, g.env, g.loss.backedUp);
  return line ? [`⚠️ ${esc(line)}`] : [];
}

/** How a gate's notification text starts, by what it decides. */
const TEXT_HEAD: Record<GateKind, string> = {
  deploy: 'Approval',
  baseline: 'Baseline approval',
  rollback: 'Rollback approval',
  restore: 'Restore approval',
  after: 'Approval',
};

/** The approval card: a thread reply, updated in place after every click. */
export function approvalCard(run: Run, g: GateView): Message {
  const step = run.steps[g.index]!;
  const baseline = isBaseline(run);
  const files = (g.files ?? [])
    .map((f) =>
      baseline
        ? `• \`${esc(f.id)}.sql\` sha256 \`${f.checksum.slice(0, 12)}\``
        : `• \`${esc(f.id)}.sql\` sha256 \`${f.checksum.slice(0, 12)}\` · ${plural(f.statements, 'statement')}${f.outsideTransaction ? ` · outside a transaction (${esc(f.outsideTransaction)})` : ''}`,
    )
    .join('\n');
  const n = g.files?.length ?? 0;
  const before = run.steps
    .slice(0, g.index)
    .filter((s) => s.status === 'succeeded' && s.name !== 'approval')
    .map(
      (s) => `${esc(s.service ? `${s.env} · ${s.service}` : s.env)} ${s.name}: ${esc(s.summary ?? 'done')}`,
    )
    .join(' · ');
  const kind = gateKind(run, g.index);
  const rollback = step.purpose === 'rollback';
  const after = step.after;
  // A restore's gate is a rollback-purpose step too: it is named by what it decides, whatever its view holds.
  const lines =
    kind === 'restore'
      ? restoreGateLines(
          run,
          run.steps[g.index + 1]?.service ? `${g.env} · ${run.steps[g.index + 1]!.service}` : g.env,
          g.restore,
        )
      : after
        ? afterGateLines(run, g.env, after.label, after.outcome)
        : rollback
          ? [
              `*Rollback approval needed: ${esc(g.env)}* · run #${run.id} \`${esc(run.migration)}\` · asked by ${mention(run.endedBy ?? '')}: ${esc(run.reason ?? '')}`,
              g.rollback
                ? esc(describeRollback(g.rollback, g.env))
                : `Will run on *${esc(g.env)}* the down files of what this run applied there.`,
              ...lossLine(g),
            ]
          : [
              `*${baseline ? 'Baseline approval' : 'Approval'} needed: ${esc(g.env)}${stageTitle(run, g.index)}* · run #${run.id} \`${esc(run.migration)}\` requested by <@${run.requestedBy}>`,
              g.files && baseline
                ? `*Baseline:* will mark as applied on *${esc(g.env)}* WITHOUT running ${n === 1 ? 'it' : 'them'} exactly ${n === 1 ? 'this file' : `these ${n} files`} (their SQL never runs; only the ledger records them):\n${files}`
                : g.files
                  ? `Will apply on *${esc(g.env)}* exactly ${n === 1 ? 'this file' : `these ${n} files`}, in this order:\n${files}`
                  : `The files pending on *${esc(g.env)}* are not known (its preflight result is missing): do not approve; start a new run.`,
            ];
  if (!rollback && !baseline && !after)
    lines.push(...approvalLint(g.lint), ...approvalTrace(g.locks?.measured, g.env, g.locks?.sizes, run.id));
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
  // A long file list spreads over several sections: nothing an approver reads is cut.
  const blocks: Block[] = sections(lines.join('\n').split('\n'), `gate-${g.index}`);
  const open = run.status === 'running' && step.status === 'waiting';
  if (open) {
    const value = encodeStepRef({ run: run.id, step: g.index, digest: g.digest });
    blocks.push({
      type: 'actions',
      block_id: `gate-actions-${g.index}`,
      elements: [
        button(ACTIONS.approve, 'Approve', value, { style: 'primary' }),
        button(ACTIONS.conditions, 'Approve with conditions', value),
        button(ACTIONS.reject, 'Reject', value, { style: 'danger' }),
      ],
    } as Block);
    if (step.expiresAt) blocks.push(context(`Expires ${when(step.expiresAt)} if not approved.`));
  } else if (step.status === 'scheduled' && step.resumeAt)
    blocks.push(context(`✅ Approved. Outside the deployment window: proceeds ${when(step.resumeAt)}.`));
  else
    blocks.push(
      context(
        after && step.status === 'failed'
          ? `Closed: ${esc(step.summary ?? 'not approved')}. The action was skipped.`
          : run.status === 'running' || step.status === 'succeeded'
            ? '✅ Approved.'
            : `Closed: ${esc(run.status)}.`,
      ),
    );
  return {
    text: after
      ? `Approval needed: ${esc(after.label)} after ${esc(g.env)}: run #${run.id} ${esc(run.migration)}`
      : `${TEXT_HEAD[kind]} needed for ${esc(g.env)}${stageTitle(run, g.index)}: run #${run.id} ${esc(run.migration)}`,
    blocks,
  };
}

/** The modal that asks why (Reject) or on what conditions (Approve with conditions). */
export function reasonModal(decision: 'reject' | 'conditions', ref: StepRef, channel: string, env: string) {
  const reject = decision === 'reject';
  return {
    type: 'modal',
    callback_id: ACTIONS.reasonModal,
    private_metadata: encodeReasonRef({ ...ref, decision, channel }),
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
