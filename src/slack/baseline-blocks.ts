/** A baseline run's replies in the thread: its preflight and its baseline step. Pure. */
import type { BaselineResult } from '../deploy/baseline.js';
import { describeRecorded } from '../deploy/ledger.js';
import type { PreflightResult } from '../deploy/results.js';
import { listSections } from './blocks.js';
import { esc, formatMs, type Message, mention } from './mrkdwn.js';

const fileLine = (p: { id: string; file?: string; checksum: string }) =>
  `• \`${esc(p.file ?? `${p.id}.sql`)}\` sha256 \`${p.checksum.slice(0, 12)}\``;

export function baselinePreflightReply(r: PreflightResult): Message {
  const head = [`*Preflight of a baseline on ${esc(r.env)}* ${r.ok ? '✅' : '❌'}`];
  if (r.serverVersion)
    head.push(
      `PostgreSQL ${esc(r.serverVersion)}${r.connectMs === undefined ? '' : ` · connected in ${formatMs(r.connectMs)}`}`,
    );
  if (r.pending.length)
    head.push(
      `To mark applied WITHOUT running them (${r.pending.length}), since no ledger here records them:`,
    );
  else if (r.ok) head.push('Nothing to baseline: every file up to this migration is already recorded here.');
  const lines: string[] = [];
  if (r.layout) lines.push(`Layout: ${esc(r.layout)}`);
  const recorded = r.recordedBy && describeRecorded(r.recordedBy);
  if (recorded) lines.push(`Applied here: ${esc(recorded)}.`);
  if (r.ok && !r.drift.length) lines.push('No drift: every recorded file matches its ledger checksum.');
  if (r.unknown.length) lines.push(`⚠️ In the ledger but not in the folder: ${r.unknown.map(esc).join(', ')}`);
  if (r.problem) lines.push(esc(r.problem));
  return {
    text: `Preflight of a baseline on ${r.env}: ${r.ok ? 'passed' : 'failed'}`,
    blocks: listSections(head, r.pending.map(fileLine), lines, 'preflight', 'file'),
  };
}

export function baselineReply(r: BaselineResult, by: string): Message {
  const head = [`*Baseline on ${esc(r.env)}* ${r.ok ? '✅' : '❌'}`];
  if (r.ok && r.files.length)
    head.push(
      `Marked applied WITHOUT running them (${r.files.length}), recorded as baselined by ${mention(by)}:`,
    );
  const lines: string[] = [];
  if (r.ok && !r.files.length) lines.push('Nothing to baseline: every file was already recorded.');
  if (r.foreign?.length) lines.push(`Also recorded in ${r.foreign.map(esc).join(', ')}.`);
  if (r.ok && r.files.length)
    lines.push('None of their SQL ran. The next deploy applies only the files after them.');
  if (r.problem) lines.push(`Nothing was marked. ${esc(r.problem)}`);
  return {
    text: `Baseline on ${r.env}: ${r.ok ? `${r.files.length} baselined` : 'failed'}`,
    blocks: listSections(head, r.files.map(fileLine), lines, 'baseline', 'file'),
  };
}
