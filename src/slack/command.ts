/** "/deploy-migration …" text → a command, or a sentence saying what was wrong (mrkdwn). Pure. */
import { esc } from './mrkdwn.js';

export type SlashCommand =
  /** `release`: every service's newest files (deploy.yml `services:`); a migration may be `service/name`. */
  | { kind: 'deploy'; migration: string; to?: string; release?: true }
  | { kind: 'baseline'; migration: string; on: string }
  | { kind: 'status'; runId?: number }
  | { kind: 'cancel'; runId: number }
  | { kind: 'verify'; migration?: string; runId?: number; on?: string }
  | { kind: 'watch' | 'checkpoint'; runId: number }
  | { kind: 'list' }
  | { kind: 'help' };

export type ParsedSlash = { ok: true; command: SlashCommand } | { ok: false; message: string };

const MAX_LENGTH = 500;
const EXAMPLE = '`/deploy-migration 024_atomic_user_behavior_updates to staging`';

/** Show a piece of what the user typed, safely: short, no control characters, no backticks, escaped for mrkdwn. */
export function quote(text: string): string {
  const clean = [...text.replace(/[\u0000-\u001f\u007f`]/g, '')];
  return `"${esc(clean.length > 40 ? `${clean.slice(0, 40).join('')}…` : clean.join(''))}"`;
}

const usage = (message: string): ParsedSlash => ({ ok: false, message });

type Parse = (rest: readonly string[], verb: string) => ParsedSlash;

const nothingMore =
  (command: SlashCommand): Parse =>
  (rest, verb) =>
    rest.length ? extra(rest, verb) : { ok: true, command };

const parseStatus: Parse = (rest) => {
  if (rest.length === 0) return { ok: true, command: { kind: 'status' } };
  const m = /^#?(\d{1,9})$/.exec(rest[0]!);
  if (!m || rest.length > 1)
    return usage(
      `Run numbers look like #17: try \`/deploy-migration status #17\`, or \`/deploy-migration status\` for the latest runs.`,
    );
  return { ok: true, command: { kind: 'status', runId: Number(m[1]) } };
};

const parseVerify: Parse = (rest) => {
  const [target, on, env, ...more] = rest;
  const run = target ? /^#(\d{1,9})$/.exec(target) : null;
  const example =
    '`/deploy-migration verify 024_atomic_user_behavior_updates on production` or `/deploy-migration verify #17`';
  if (!target || (on !== undefined && (on.toLowerCase() !== 'on' || !env)) || more.length)
    return usage(`Say what to verify, e.g. ${example}.`);
  if (!run && !MIGRATION.test(target) && !SERVICE_MIGRATION.test(target))
    return usage(`${quote(target)} is not a migration or a run: try ${example}.`);
  return {
    ok: true,
    command: {
      kind: 'verify',
      ...(run ? { runId: Number(run[1]) } : { migration: target }),
      ...(env ? { on: env.toLowerCase() } : {}),
    },
  };
};

const parseBaseline: Parse = (rest) => {
  const [target, on, env, ...more] = rest;
  const example = '`/deploy-migration baseline 024_atomic_user_behavior_updates on production`';
  if (!target || on?.toLowerCase() !== 'on' || !env || more.length)
    return usage(
      `Say up to which migration and on which environment, e.g. ${example}: the migrations up to it are marked applied there without running them.`,
    );
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/.test(target))
    return usage(`${quote(target)} is not a migration name: try ${example}.`);
  return { ok: true, command: { kind: 'baseline', migration: target, on: env.toLowerCase() } };
};

const parseWatch: Parse = (rest, verb) => {
  const m = rest.length === 1 ? /^#?(\d{1,9})$/.exec(rest[0]!) : null;
  if (!m) return usage(`Say which run, e.g. \`/deploy-migration ${verb} #17\`.`);
  return { ok: true, command: { kind: verb as 'watch' | 'checkpoint', runId: Number(m[1]) } };
};

const parseCancel: Parse = (rest) => {
  const m = rest.length === 1 ? /^#?(\d{1,9})$/.exec(rest[0]!) : null;
  if (!m) return usage('Say which run to cancel, e.g. `/deploy-migration cancel #17`.');
  return { ok: true, command: { kind: 'cancel', runId: Number(m[1]) } };
};

/**
 * Every subcommand, in the order help lists them: the parser dispatches on this list, HELP prints its lines (one
 * line may explain two), and an unknown command is told its names.
 */
const SUBCOMMANDS: readonly { verb: string; parse: Parse; help?: string }[] = [
  {
    verb: 'release',
    parse: parseRelease,
    help: "• `/deploy-migration release [to <environment>]`: with deploy.yml's `services:`, deploy every service's pending migrations in one run (one service's alone: `/deploy-migration community/024_rls`)",
  },
  {
    verb: 'baseline',
    parse: parseBaseline,
    help: "• `/deploy-migration baseline <migration> on <environment>`: mark the migrations up to and including it as applied there WITHOUT running them (a database whose schema was made by hand), through the environment's approvals",
  },
  {
    verb: 'status',
    parse: parseStatus,
    help: '• `/deploy-migration status [#run]`: a run (who approved what and when), or the latest runs',
  },
  {
    verb: 'cancel',
    parse: parseCancel,
    help: '• `/deploy-migration cancel #run`: stop a run (its requester or an approver of its next gate)',
  },
  {
    verb: 'verify',
    parse: parseVerify,
    help: '• `/deploy-migration verify <migration|#run> [on <environment>]`: run the checks now and show the table',
  },
  {
    verb: 'watch',
    parse: parseWatch,
    help: '• `/deploy-migration watch #run`: the latest monitoring figures; `checkpoint #run` takes one now',
  },
  { verb: 'checkpoint', parse: parseWatch }, // explained on watch's line
  {
    verb: 'list',
    parse: nothingMore({ kind: 'list' }),
    help: '• `/deploy-migration list`: every migration in every environment (applied when, checksum, drift)',
  },
  { verb: 'help', parse: nothingMore({ kind: 'help' }), help: '• `/deploy-migration help`: this message' },
];

/** The help text (mrkdwn: the placeholders are escaped, or Slack would read `<migration>` as a link). */
export const HELP = [
  '*/deploy-migration* deploys PostgreSQL migrations from this channel.',
  '• `/deploy-migration <migration> [to <environment>]`: deploy through every environment in order (or up to one), with approvals where deploy.yml asks for them (e.g. `/deploy-migration 024_atomic_user_behavior_updates`)',
  ...SUBCOMMANDS.flatMap((s) => (s.help ? [s.help] : [])),
]
  .map(esc)
  .join('\n');

/** A migration is named by its number or id (`024_x`, `20240101120000_init`) or, in Flyway's layout, `V18__x`. */
const MIGRATION_START = /^(\d|[VU]\d)/;
const MIGRATION = /^(\d|[VU]\d)[A-Za-z0-9_.-]*$/;

const VERBS = SUBCOMMANDS.map((s) => `\`${s.verb}\``);
const NAMES = `${VERBS.slice(0, -1).join(', ')} or ${VERBS.at(-1)}`;

export function parseSlashText(raw: string): ParsedSlash {
  if (raw.length > MAX_LENGTH)
    return usage(
      `That command is ${raw.length.toLocaleString('en-US')} characters long; /deploy-migration takes a migration name and an optional environment, e.g. ${EXAMPLE}.`,
    );
  const words = raw.trim().split(/\s+/u).filter(Boolean);
  const [first, ...rest] = words;
  if (!first)
    return usage(`Tell me what to deploy, e.g. ${EXAMPLE}. \`/deploy-migration help\` lists every command.`);
  const verb = first.toLowerCase();
  const sub = SUBCOMMANDS.find((s) => s.verb === verb);
  if (sub) return sub.parse(rest, verb);
  // With deploy.yml services:, a migration of one service is named service/migration.
  const named = SERVICE_MIGRATION.exec(first);
  if (named) return deployOf(`${named[1]}/${named[2]}`, rest);
  if (!MIGRATION_START.test(first))
    return usage(
      `I don't know the command ${quote(first)}. Name a migration (e.g. ${EXAMPLE}), or use ${NAMES}.`,
    );
  if (!/^[\w.-]{1,200}$/u.test(first) || !/^[A-Za-z0-9_.-]+$/.test(first))
    return usage(
      `${quote(first)} is not a migration name: names look like 024_atomic_user_behavior_updates.`,
    );
  return deployOf(first, rest);
}

const SERVICE_MIGRATION = /^([a-z][a-z0-9_-]{0,31})\/((?:\d|[VU]\d)[A-Za-z0-9_.-]{0,199})$/;

/** A deploy of `what`, with `to <environment>` or nothing after it. */
function deployOf(what: string, rest: readonly string[], release?: true): ParsedSlash {
  const command = { kind: 'deploy' as const, migration: what, ...(release ? { release } : {}) };
  if (rest.length === 0) return { ok: true, command };
  if (rest[0]!.toLowerCase() !== 'to') return extra(rest, what);
  if (rest.length === 1) return usage(`Say which environment after "to", e.g. ${EXAMPLE}.`);
  if (rest.length > 2) return extra(rest.slice(2), `to ${rest[1]}`);
  return { ok: true, command: { ...command, to: rest[1]!.toLowerCase() } };
}

function parseRelease(rest: readonly string[]): ParsedSlash {
  return deployOf('release', rest, true);
}

function extra(words: readonly string[], after: string): ParsedSlash {
  return usage(
    `I did not understand ${quote(words.join(' '))} after ${quote(after)}. Try ${EXAMPLE}, or \`/deploy-migration help\`.`,
  );
}
