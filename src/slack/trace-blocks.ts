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
): string[] {
  if (!m) return [];
  const lines = m.files.flatMap((f) => describeTrace(f.file, f.trace, m.measuredOn, here, sizes));
  const out: string[] = [];
  if (!m.files.length)
    out.push(`*Locks:* none of these files was applied on ${esc(m.measuredOn)} in this run: not measured.`);
  else if (!lines.length)
    out.push(
      `*Locks measured on ${esc(m.measuredOn)}:* no statement took a lock stronger than ROW EXCLUSIVE on a table that existed before it.`,
    );
  else {
    const shown = lines.slice(0, MAX_LINES).map((l) => `• ${esc(l)}`);
    if (lines.length > MAX_LINES)
      shown.push(
        `… and ${lines.length - MAX_LINES} more in the apply reply on ${esc(m.measuredOn)} (the first ${MAX_REPLY_LINES})`,
      );
    out.push(
      `*Locks measured on ${esc(m.measuredOn)}* (stronger than ROW EXCLUSIVE, held until commit):\n${shown.join('\n')}`,
    );
  }
  if (m.unmeasured.length && m.files.length)
    out.push(
      `Not measured (not applied on ${esc(m.measuredOn)} in this run): ${m.unmeasured.map((f) => `\`${esc(f)}\``).join(', ')}`,
    );
  return out;
}
