/**
 * What the CLI says when its setup is wrong or a target fails, said for a terminal: an unset variable is named as
 * an environment variable (deploy.yml itself is fine), and a target error says its kind and code here, since the
 * CLI has no bot log to point at.
 */
import type { ConfigError } from './config-error.js';
import { logTargetErrors } from './target/connect-errors.js';

const UNSET = /^(.+?): environment variable ([A-Za-z_][A-Za-z0-9_]*) is not set$/;

/** deploy.yml's problems, with each unset environment variable said as such first. */
export function configProblem(e: ConfigError): string {
  const unset: string[] = [];
  const rest: string[] = [];
  e.problems.forEach((p, i) => {
    const m = UNSET.exec(p);
    if (m)
      unset.push(
        `The environment variable ${m[2]} is not set (deploy.yml's ${m[1]} reads it). Set it in the environment this command runs in: it is an environment variable, not a deploy.yml setting.`,
      );
    else rest.push(e.located[i] ?? p);
  });
  if (!unset.length) return e.message;
  if (rest.length) unset.push(`${e.source} is not valid:\n${rest.map((p) => `  - ${p}`).join('\n')}`);
  return unset.join('\n');
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** "ECONNREFUSED", "28P01", or an unexpected error's class and message (a database URL in it is cut out). */
export function errorKind(e: unknown): string {
  const queue = [e];
  const seen = new Set<unknown>();
  while (queue.length) {
    const x = queue.shift() as ErrorLike | undefined;
    if (!x || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    if (typeof x.code === 'string' && x.code) return `error code ${x.code}`;
    queue.push(x.cause, ...(Array.isArray(x.errors) ? x.errors : []));
  }
  const err = (e ?? {}) as ErrorLike;
  const name = typeof err.name === 'string' ? err.name : 'Error';
  const message = typeof err.message === 'string' ? err.message : String(e);
  return `${name}: ${message.replace(/postgres(?:ql)?:\/\/\S+/gi, '(a database URL)')}`;
}

const BOT_LOG = /\s*\(the bot log has the full error\)\.|; the bot log has the full error\./;

const last = new Map<string, unknown>();
let watching = false;

/** Keep the last target error per environment (the diagnostics channel every target error is published on). */
export function watchTargetErrors(): void {
  if (watching) return;
  watching = true;
  logTargetErrors({
    warn: (obj) => {
      const m = obj as { env: string; err: unknown };
      last.set(m.env, m.err);
    },
  });
}

/**
 * A sentence as the CLI says it: one that points at the bot log (there is none here) carries the error's kind
 * instead (the last error seen for the environment the sentence starts with).
 */
export function sayForCli(text: string): string {
  if (!BOT_LOG.test(text)) return text;
  const env = [...last.keys()].find((name) => text.startsWith(`${name}: `));
  return text.replace(BOT_LOG, env === undefined ? '.' : ` (${errorKind(last.get(env))}).`);
}

/**
 * The CLI reads one migrations folder and one database per environment; a deploy.yml with services: is refused with
 * a sentence (docs/services.md) rather than read wrongly.
 */
export const servicesNotInCli = (command: string): string =>
  `deploy.yml lists services:, and the CLI's ${command} reads one migrations folder and one database per environment; it does not handle services yet. In Slack, /deploy-migration list and verify <service>/<migration> do.`;
