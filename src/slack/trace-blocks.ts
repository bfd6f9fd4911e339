/** The lock trace on an approval card: what each statement locked on the earlier environment, sized for here. */
import {
  describeTrace,
  type MeasuredTrace,
  type RelationSize,
  type TracedStatement,
} from '../deploy/lock-trace.js';
import { esc } from './mrkdwn.js';

const MAX_LINES = 8;
const MAX_REPLY_LINES = 20;

/** The apply reply's part: the strong locks each file's statements took here, and for how long. */
export function appliedTrace(
  env: string,
  files: readonly { file: string; trace?: readonly TracedStatement[] }[],
): string[] {
  const lines = files.flatMap((f) => describeTrace(f.file, f.trace ?? [], env, undefined, undefined));
  if (!lines.length) return [];
  const shown = lines.slice(0, MAX_REPLY_LINES).map((l) => `• ${esc(l)}`);
  if (lines.length > MAX_REPLY_LINES) shown.push(`… and ${lines.length - MAX_REPLY_LINES} more`);
  return [
    `*Locks* stronger than ROW EXCLUSIVE on tables that existed before (held until commit):\n${shown.join('\n')}`,
  ];
}

export function approvalTrace(
  m: MeasuredTrace | undefined,
  here: string,
  sizes: readonly RelationSize[] | undefined,
  /** The run the card belongs to: a trace measured by another run says which. */
  runId: number,
): string[] {
  if (!m) return [];
  const where = (f: MeasuredTrace['files'][number]) =>
    f.runId === runId ? f.measuredOn : `${f.measuredOn} (run #${f.runId})`;
  const lines = m.files.flatMap((f) => describeTrace(f.file, f.trace, where(f), here, sizes));
  const envs = esc([...new Set(m.files.map((f) => f.measuredOn))].join(', '));
  const out: string[] = [];
  if (!m.files.length)
    out.push(
      '*Locks:* not measured: no other environment has applied these files with this text yet, so what they lock is unknown.',
    );
  else if (!lines.length)
    out.push(
      `*Locks measured on ${envs}:* no statement took a lock stronger than ROW EXCLUSIVE on a table that existed before it.`,
    );
  else {
    const shown = lines.slice(0, MAX_LINES).map((l) => `• ${esc(l)}`);
    if (lines.length > MAX_LINES)
      shown.push(
        `… and ${lines.length - MAX_LINES} more in the apply reply on ${envs} (the first ${MAX_REPLY_LINES})`,
      );
    out.push(
      `*Locks measured on ${envs}* (stronger than ROW EXCLUSIVE, held until commit):\n${shown.join('\n')}`,
    );
  }
  if (m.unmeasured.length && m.files.length)
    out.push(
      `Not measured (no other environment applied them with this text): ${m.unmeasured.map((f) => `\`${esc(f)}\``).join(', ')}`,
    );
  return out;
}
