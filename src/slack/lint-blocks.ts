/**
 * Lint findings as people read them in Slack: in the preflight reply and on the approval card (errors an allow let
 * through show its reason). Bounded: a few findings, then how many more and where they all are. Pure.
 */
import { countsOf, type LintFinding, type LintReport, where } from '../deploy/lint.js';
import { code, table } from './markdown.js';
import { esc, plural } from './mrkdwn.js';

const MESSAGE_CHARS = 300;

const clip = (text: string) =>
  text.length <= MESSAGE_CHARS ? text : `${text.slice(0, MESSAGE_CHARS - 1).trimEnd()}…`;

/** "❌ `024_x.sql:3:1` *require-concurrent-index-creation*: During normal index creation, …" */
export function findingLine(f: LintFinding): string {
  const icon = f.allowed !== undefined ? '☑️' : f.level === 'error' ? '❌' : '⚠️';
  const allowed =
    f.allowed !== undefined
      ? ` · *allowed${f.level === 'error' ? ' (an error)' : ''}:* “${esc(clip(f.allowed))}”`
      : '';
  return `${icon} \`${esc(where(f))}\` *${esc(f.rule)}*: ${esc(clip(f.message))}${allowed}`;
}

/** The heading: "*Lint* of 3 files: 1 error, 2 warnings" */
export const lintHeading = (r: LintReport) =>
  `*Lint* of ${plural(r.files, 'file')}: ${r.problems.length ? 'could not run' : countsOf(r)}`;

/**
 * The heading, the first `max` findings (errors, then those allowed, then warnings) and a line saying how many
 * more there are and where to read them all.
 */
export function lintLines(r: LintReport, max: number, elsewhere: string): string[] {
  const total = r.findings.length + r.more;
  const shown = r.findings.slice(0, max);
  const more = total - shown.length;
  return [
    lintHeading(r),
    ...r.problems.map((p) => `❌ ${esc(p)}`),
    ...shown.map(findingLine),
    ...(more ? [`… and ${plural(more, 'more finding')}: ${elsewhere}.`] : []),
  ];
}

/** For the preflight reply in the thread. */
export const preflightLint = (r: LintReport) =>
  lintLines(r, 12, '`migration-gate lint` prints every one, and the run report file lists them');

/**
 * For the approval card: what the approver must weigh first, the errors let through by an allow and the reason
 * the file gives, then warnings (none for results stored before lint ran).
 */
export const approvalLint = (r: LintReport | undefined): string[] =>
  r
    ? lintLines(r, 6, 'the preflight reply in this thread shows more, and the run report file lists them all')
    : [];

/** The run report's part: every finding stored with the preflight, in a table. */
export function lintMarkdown(r: LintReport): string[] {
  const out = [
    `**Lint** of ${plural(r.files, 'file')}: ${r.problems.length ? 'could not run' : countsOf(r)}`,
    '',
  ];
  if (r.problems.length) out.push(...r.problems.map((p) => `- ${p}`), '');
  if (r.findings.length)
    out.push(
      ...table(
        ['Level', 'Where', 'Rule', 'Finding', 'Allowed because'],
        r.findings.map((f) => [
          f.level,
          code(where(f)),
          f.rule,
          f.help ? `${f.message} ${f.help}` : f.message,
          f.allowed ?? '',
        ]),
      ),
    );
  if (r.more)
    out.push(
      `… and ${plural(r.more, 'more finding')} not stored with the run: \`migration-gate lint\` prints every one.`,
      '',
    );
  return out;
}
