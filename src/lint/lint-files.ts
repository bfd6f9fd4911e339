/**
 * Lint migration files: squawk's rules and ours over each text, the files' allow comments, then deploy.yml's
 * levels (src/deploy/lint.ts judge decides what blocks). Used by preflight (the pending files) and the CLI.
 */
import { judge, type LintReport, PARSE_RULE, type RawFinding } from '../deploy/lint.js';
import { type LintLevels, SQUAWK_OPT_IN, SQUAWK_RULES, SQUAWK_SYNTAX } from '../deploy/lint-rules.js';
import type { MigrationFile } from '../target/files.js';
import { loadParser, splitStatements, statementsToRun } from '../target/sql.js';
import { allowComments } from './allows.js';
import { type ParsedFile, parseMigration } from './parse.js';
import { ownFindings } from './rules.js';
import { pgVersionOf, runSquawk } from './squawk.js';

export interface LintInput {
  /** The file as messages name it (`024_x.sql`). */
  readonly file: string;
  readonly text: string;
  /** Whether the bot runs it in one transaction it opens (not outside one, not in the file's own BEGIN … COMMIT). */
  readonly inTransaction: boolean;
}

/** What the bot will do with each file, as lint needs to know it (see src/target/sql.ts statementsToRun). Load the parser first. */
export function inputsFor(files: readonly MigrationFile[], serverVersionNum?: number): LintInput[] {
  return files.map((f) => {
    const split = splitStatements(f.text, serverVersionNum);
    const toRun = split.ok ? statementsToRun(split.statements, f) : [];
    const inTransaction =
      split.ok && toRun.length === split.statements.length && !toRun.some((s) => s.noTransaction);
    return { file: f.fileName, text: f.text, inTransaction };
  });
}

/** Lint the texts; `serverVersionNum` is the target's (squawk's rules depend on the version), if known. */
export async function lintTexts(
  inputs: readonly LintInput[],
  levels: LintLevels,
  serverVersionNum?: number,
): Promise<LintReport> {
  await loadParser();
  const raw: RawFinding[] = [];
  const parsed: { input: LintInput; file: ParsedFile }[] = [];
  for (const input of inputs) {
    const p = parseMigration(input.text);
    if (p.ok) parsed.push({ input, file: p.file });
    else
      raw.push({
        rule: PARSE_RULE,
        file: input.file,
        ...p.at,
        message: `PostgreSQL cannot parse this: ${p.message}`,
        statement: -1,
      });
  }
  const on = (r: string) => levels[r] !== 'off';
  const problems: string[] = [];
  if (SQUAWK_RULES.some(on)) {
    const squawk = await runSquawk(
      parsed.map((p) => p.input),
      {
        pgVersion: serverVersionNum ? pgVersionOf(serverVersionNum) : undefined,
        include: SQUAWK_OPT_IN.filter(on),
        exclude: SQUAWK_RULES.filter((r) => !on(r) && r !== SQUAWK_SYNTAX),
      },
    );
    if (!squawk.ok) problems.push(squawk.problem);
    else {
      const byName = new Map(parsed.map((p) => [p.input.file, p.file]));
      for (const s of squawk.findings)
        raw.push({
          rule: s.rule,
          file: s.file,
          line: s.line,
          column: s.column,
          message:
            s.rule === SQUAWK_SYNTAX
              ? `squawk's own parser cannot read this (${s.message}), so none of squawk's rules checked ${s.file}; PostgreSQL's parser can, and the file runs as written`
              : s.message,
          ...(s.help ? { help: s.help } : {}),
          statement: byName.get(s.file)?.statementAt(s.offset) ?? -1,
        });
    }
  }
  for (const p of parsed) raw.push(...ownFindings(p.input.file, p.file));
  const comments = parsed.flatMap((p) => allowComments(p.input.file, p.file));
  return judge(raw, comments, levels, inputs.length, problems);
}

/** Lint migration files as the bot will run them. */
export async function lintMigrations(
  files: readonly MigrationFile[],
  levels: LintLevels,
  serverVersionNum?: number,
): Promise<LintReport> {
  await loadParser(); // inputsFor splits the files
  return lintTexts(inputsFor(files, serverVersionNum), levels, serverVersionNum);
}
