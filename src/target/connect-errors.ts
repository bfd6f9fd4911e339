/**
 * A target that cannot be reached, said in one sentence that names the environment, the kind of failure and the
 * variable to check, and never the host, port, user or database name (they live in the URL, a secret). The full
 * error goes to the bot's log: every sentence is published on a diagnostics channel that the bot subscribes its
 * logger to (`logTargetErrors`), so the step code that turns errors into sentences needs no logger.
 */
import { channel } from 'node:diagnostics_channel';

export type ConnectFailure =
  | 'unresolved'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'closed'
  | 'tls'
  | 'auth'
  | 'no-database'
  | 'unavailable'
  | 'busy'
  | 'failed';

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  syscall?: unknown;
  cause?: unknown;
  errors?: unknown;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

function classify(e: ErrorLike): ConnectFailure | undefined {
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (SQLSTATE.test(code)) {
    if (code === '28P01' || code.startsWith('28')) return 'auth';
    if (code === '3D000') return 'no-database';
    if (code === '53300' || code === '53400') return 'busy';
    if (['57P01', '57P02', '57P03'].includes(code)) return 'unavailable';
    if (code === '55000' && /not currently accepting connections/i.test(message)) return 'unavailable';
    if (code.startsWith('08')) return 'failed';
    return undefined; // we reached the server: a query failed
  }
  if (['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA'].includes(code)) return 'unresolved';
  if (code === 'ECONNREFUSED' || (code === 'ENOENT' && e.syscall === 'connect')) return 'refused';
  if (['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EADDRNOTAVAIL'].includes(code))
    return 'unreachable';
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'closed';
  if (/^ERR_(SSL|TLS)_|CERT|^EPROTO$/.test(code) || /\b(SSL|TLS)\b|certificate/i.test(message)) return 'tls';
  if (/timeout|timed out/i.test(message)) return 'timeout';
  if (/Connection terminated|connection error|not queryable/i.test(message)) return 'closed';
  return undefined;
}

/** The kind of connection failure behind `e` (looking through causes), or undefined when it is not one. */
export function connectFailureOf(e: unknown): ConnectFailure | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [e];
  while (queue.length) {
    const x = queue.shift();
    if (!x || typeof x !== 'object' || seen.has(x)) continue;
    seen.add(x);
    const err = x as ErrorLike;
    const kind = classify(err);
    if (kind) return kind;
    queue.push(err.cause, ...(Array.isArray(err.errors) ? err.errors : []));
  }
  return undefined;
}

const WHAT: Record<ConnectFailure, (variable: string) => string> = {
  unresolved: (v) => `the database host cannot be resolved. Check the host name in ${v}`,
  refused: (v) =>
    `the database server refused the connection. Check that PostgreSQL is running and that the host and port in ${v} are right`,
  unreachable: (v) =>
    `the database host cannot be reached from the bot (no network route). Check the host in ${v} and the network`,
  timeout: (v) =>
    `the database did not answer in time. Check that the host and port in ${v} are reachable from the bot (a firewall may drop the connection)`,
  closed: (v) =>
    `the database server closed the connection. It may be restarting; try again, and check ${v} if it keeps happening`,
  tls: (v) => `the TLS (SSL) connection failed. Check sslmode and the certificate settings in ${v}`,
  auth: (v) =>
    `authentication failed. Check the user name and password in ${v}, and that the server lets that user connect from the bot`,
  'no-database': (v) => `the database does not exist. Check the database name in ${v}`,
  unavailable: () =>
    'the database is not accepting connections right now (starting, stopping or closed to them); try again later',
  busy: () => 'the database server has no free connections (too many clients); try again later',
  failed: (v) => `the connection to the database failed. Check ${v} and that the database is up`,
};

export interface TargetRef {
  readonly name: string;
  readonly databaseVar: string;
}

/** What the diagnostics channel carries: the bot logs it (the logger scrubs passwords and URLs). */
export interface TargetErrorEvent {
  readonly env: string;
  readonly variable: string;
  readonly kind: ConnectFailure | 'query' | 'unexpected';
  readonly error: unknown;
}

const events = channel('migration-gate:target-error');

/**
 * One sentence for a failure to work on a target. Connection failures name the environment, the kind and the
 * variable; a query that failed once connected keeps PostgreSQL's code and message (it names what the query
 * touched, not where the database is); anything else says the log has it. Every error is published for the log.
 */
export function describeTargetError(env: TargetRef, e: unknown): string {
  const kind = connectFailureOf(e);
  const err = (e ?? {}) as ErrorLike;
  const code = typeof err.code === 'string' && SQLSTATE.test(err.code) ? err.code : undefined;
  const reported: TargetErrorEvent['kind'] = kind ?? (code ? 'query' : 'unexpected');
  if (events.hasSubscribers)
    events.publish({ env: env.name, variable: env.databaseVar, kind: reported, error: e });
  if (kind) return `${env.name}: ${WHAT[kind](env.databaseVar)} (the bot log has the full error).`;
  if (code)
    return `A query failed on ${env.name}: ${code} ${String(err.message ?? '')}`.trim().replace(/\.?$/, '.');
  return `${env.name}: the work on the database stopped with an unexpected error; the bot log has the full error.`;
}

/** Subscribe a logger to every target error described; returns the unsubscribe. */
export function logTargetErrors(log: { warn(obj: object, msg: string): void }): () => void {
  const listener = (message: unknown) => {
    const m = message as TargetErrorEvent;
    log.warn(
      { env: m.env, variable: m.variable, kind: m.kind, err: m.error },
      `${m.env}: could not work on the database (${m.kind})`,
    );
  };
  events.subscribe(listener);
  return () => events.unsubscribe(listener);
}
