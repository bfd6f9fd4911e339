/**
 * squawk (npm squawk-cli, a prebuilt binary in @squawk-cli/<platform>) run over migration texts: its JSON findings
 * mapped to 1-based line:column in characters. Its JSON is 0-based, its columns count UTF-8 bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { SQUAWK_TIMEOUT_RULES } from '../deploy/lint-rules.js';

export interface SquawkInput {
  /** The file as messages name it. */
  readonly file: string;
  readonly text: string;
  /** The bot runs this file in one transaction: squawk is told so (`--assume-in-transaction`). */
  readonly inTransaction: boolean;
}

export interface SquawkFinding {
  readonly file: string;
  readonly rule: string;
  readonly line: number;
  readonly column: number;
  /** 0-based character offset in the text: which statement the finding is in. */
  readonly offset: number;
  readonly message: string;
  readonly help?: string;
}

const PLATFORMS: Record<string, string> = {
  'linux-x64': '@squawk-cli/linux-x64',
  'linux-arm64': '@squawk-cli/linux-arm64',
  'darwin-x64': '@squawk-cli/darwin-x64',
  'darwin-arm64': '@squawk-cli/darwin-arm64',
  'win32-x64': '@squawk-cli/win32-x64',
};

/**
 * Where squawk's binary is: its platform package resolved from squawk-cli itself (as its own launcher does), so
 * a nested or hoisted node_modules both work. A sentence saying what to do when it is not there.
 */
export function squawkBinary(): { ok: true; path: string } | { ok: false; problem: string } {
  const key = `${process.platform}-${process.arch}`;
  const pkg = PLATFORMS[key];
  if (!pkg) return { ok: false, problem: `squawk has no binary for this platform (${key}).` };
  try {
    const fromHere = createRequire(import.meta.url);
    const fromSquawk = createRequire(fromHere.resolve('squawk-cli/package.json'));
    return {
      ok: true,
      path: fromSquawk.resolve(`${pkg}/bin/squawk${process.platform === 'win32' ? '.exe' : ''}`),
    };
  } catch {
    return {
      ok: false,
      problem: `squawk is not installed (npm package squawk-cli with its optional ${pkg}): run \`npm ci\` without --omit=optional.`,
    };
  }
}

/** squawk's `--pg-version` for a server_version_num (150018 → 15.18, 90624 → 9.6). */
export function pgVersionOf(versionNum: number): string {
  const major = Math.floor(versionNum / 10000);
  return versionNum >= 100000
    ? `${major}.${versionNum % 10000}`
    : `${major}.${Math.floor(versionNum / 100) % 100}`;
}

const squawkJson = z.array(
  z.object({
    file: z.string(),
    line: z.number().int().min(0),
    column: z.number().int().min(0),
    message: z.string(),
    help: z.string().nullable().optional(),
    rule_name: z.string(),
  }),
);

/** A 0-based line and UTF-8 byte column of `text` as a 1-based line, a 1-based column in characters and an offset. */
export function positionOf(text: string, line0: number, byteColumn: number) {
  let start = 0;
  for (let i = 0; i < line0; i++) {
    const nl = text.indexOf('\n', start);
    if (nl === -1) break;
    start = nl + 1;
  }
  const end = text.indexOf('\n', start);
  const lineText = text.slice(start, end === -1 ? text.length : end);
  const before = Buffer.from(lineText, 'utf8').subarray(0, byteColumn).toString('utf8');
  return { line: line0 + 1, column: [...before].length + 1, offset: start + before.length };
}

/** squawk's JSON output, parsed and mapped back to the inputs (its `file` is the index we named the copy by). */
export function readSquawkJson(stdout: string, inputs: readonly SquawkInput[]): SquawkFinding[] {
  const parsed = squawkJson.parse(JSON.parse(stdout));
  return parsed.flatMap((f) => {
    const input = inputs[Number(f.file.replace(/\.sql$/, ''))];
    if (!input) return [];
    const at = positionOf(input.text, f.line, f.column);
    return [
      { file: input.file, rule: f.rule_name, ...at, message: f.message, ...(f.help ? { help: f.help } : {}) },
    ];
  });
}

function exec(bin: string, args: string[], cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(bin, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({
        code,
        stdout,
        stderr: stderr || (error && typeof error.code !== 'number' ? error.message : ''),
      });
    });
  });
}

const CHUNK = 400;

/**
 * Run squawk over the texts (copied to a private folder, so it lints exactly what was checksummed), in two
 * groups: files run in one transaction, and files run outside one. Its config files are ignored (`-c` the null
 * device): deploy.yml's `lint:` is the one configuration. Rules: `include` turns on opt-in ones; its timeout rules
 * are always excluded.
 */
export async function runSquawk(
  inputs: readonly SquawkInput[],
  options: { pgVersion?: string; include: readonly string[]; exclude: readonly string[] },
): Promise<{ ok: true; findings: SquawkFinding[] } | { ok: false; problem: string }> {
  if (!inputs.length) return { ok: true, findings: [] };
  const bin = squawkBinary();
  if (!bin.ok) return bin;
  const dir = mkdtempSync(join(tmpdir(), 'mg-squawk-'));
  try {
    for (const [i, f] of inputs.entries()) writeFileSync(join(dir, `${i}.sql`), f.text);
    const base = [
      '--reporter',
      'json',
      '-c',
      devNull,
      `--exclude=${[...SQUAWK_TIMEOUT_RULES.filter((r) => r !== 'require-timeout-settings'), ...options.exclude].join(',')}`,
      ...(options.include.length ? [`--include=${options.include.join(',')}`] : []),
      ...(options.pgVersion ? [`--pg-version=${options.pgVersion}`] : []),
    ];
    const findings: SquawkFinding[] = [];
    for (const inTransaction of [true, false]) {
      const names = inputs.flatMap((f, i) => (f.inTransaction === inTransaction ? [`${i}.sql`] : []));
      for (let i = 0; i < names.length; i += CHUNK) {
        const args = [
          ...base,
          ...(inTransaction ? ['--assume-in-transaction'] : []),
          ...names.slice(i, i + CHUNK),
        ];
        const out = await exec(bin.path, args, dir);
        try {
          findings.push(...readSquawkJson(out.stdout, inputs));
        } catch {
          const why =
            (out.stderr || out.stdout).trim().split('\n')[0]?.slice(0, 300) || `exit code ${out.code}`;
          return { ok: false, problem: `squawk failed: ${why}.` };
        }
      }
    }
    return { ok: true, findings };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
