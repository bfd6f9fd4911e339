import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import pino from 'pino';
import { redact } from './deploy/redact.js';
import { runFields } from './observe/log-context.js';

export type Logger = pino.Logger;

/**
 * Structured logs on stdout (or `out`), with every secret scrubbed from the final line. A line written while the
 * bot works on a run carries its `runId` (and `step`, `stepName` during a step's work): observe/log-context.ts.
 */
export function createLogger(
  level: string,
  secrets: () => readonly string[],
  out: { write(line: string): void } = process.stdout,
): Logger {
  return pino(
    { level, base: { app: 'migration-gate' }, mixin: runFields },
    {
      write(line: string) {
        const all = secrets().flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
        out.write(redact(line, all));
      },
    },
  );
}

/** Bolt's logger interface over pino. */
export function boltLogger(log: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const child = log.child({ component: 'bolt' });
  const join = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => child.debug(join(msg)),
    info: (...msg: unknown[]) => child.info(join(msg)),
    warn: (...msg: unknown[]) => child.warn(join(msg)),
    error: (...msg: unknown[]) => child.error(join(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
