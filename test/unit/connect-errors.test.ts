import { describe, expect, it } from 'vitest';
import { connectFailureOf, describeTargetError } from '../../src/target/connect-errors.js';

const env = { name: 'staging', databaseVar: 'STAGING_DATABASE_URL' };

/** Errors as pg 8.23 and Node 20 raise them (codes and messages copied from real failures on this machine). */
const sys = (code: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { code, ...extra });
const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'FATAL' });

const cases: [string, unknown, string][] = [
  [
    'host not found',
    sys('ENOTFOUND', 'getaddrinfo ENOTFOUND db-7f3a.internal', {
      syscall: 'getaddrinfo',
      hostname: 'db-7f3a.internal',
    }),
    'staging: the database host cannot be resolved. Check the host name in STAGING_DATABASE_URL',
  ],
  [
    'DNS not answering',
    sys('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db-7f3a.internal'),
    'staging: the database host cannot be resolved.',
  ],
  [
    'refused',
    sys('ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:6432', { address: '10.1.2.3', port: 6432 }),
    'staging: the database server refused the connection. Check that PostgreSQL is running and that the host and port in STAGING_DATABASE_URL are right',
  ],
  [
    'refused on every address (AggregateError)',
    Object.assign(new AggregateError([sys('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432')], ''), {}),
    'staging: the database server refused the connection.',
  ],
  [
    'a unix socket with no server',
    sys('ENOENT', 'connect ENOENT /var/run/postgresql/.s.PGSQL.5432', { syscall: 'connect' }),
    'staging: the database server refused the connection.',
  ],
  [
    'wrong password',
    pgError('28P01', 'password authentication failed for user "orders_app"'),
    'staging: authentication failed. Check the user name and password in STAGING_DATABASE_URL',
  ],
  [
    'no pg_hba.conf entry',
    pgError(
      '28000',
      'no pg_hba.conf entry for host "10.9.8.7", user "orders_app", database "orders", SSL off',
    ),
    'staging: authentication failed.',
  ],
  [
    'no such database',
    pgError('3D000', 'database "orders_prod" does not exist'),
    'staging: the database does not exist. Check the database name in STAGING_DATABASE_URL',
  ],
  ['connect timeout (pg)', new Error('timeout expired'), 'staging: the database did not answer in time.'],
  [
    'TCP timeout',
    sys('ETIMEDOUT', 'connect ETIMEDOUT 10.1.2.3:5432'),
    'staging: the database did not answer in time.',
  ],
  [
    'server without TLS',
    new Error('The server does not support SSL connections'),
    'staging: the TLS (SSL) connection failed. Check sslmode and the certificate settings in STAGING_DATABASE_URL',
  ],
  [
    'self-signed certificate',
    sys('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
    'staging: the TLS (SSL) connection failed.',
  ],
  [
    'host name not in the certificate',
    sys(
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames: Host: db-7f3a.internal",
    ),
    'staging: the TLS (SSL) connection failed.',
  ],
  [
    'dropped mid-way',
    new Error('Connection terminated unexpectedly'),
    'staging: the database server closed the connection.',
  ],
  ['reset', sys('ECONNRESET', 'read ECONNRESET'), 'staging: the database server closed the connection.'],
  [
    'no route',
    sys('EHOSTUNREACH', 'connect EHOSTUNREACH 10.1.2.3:5432'),
    'staging: the database host cannot be reached',
  ],
  [
    'too many clients',
    pgError('53300', 'sorry, too many clients already'),
    'staging: the database server has no free connections',
  ],
  [
    'starting up',
    pgError('57P03', 'the database system is starting up'),
    'staging: the database is not accepting connections right now',
  ],
  [
    'closed to connections',
    pgError('55000', 'database "orders_prod" is not currently accepting connections'),
    'staging: the database is not accepting connections right now',
  ],
  [
    'wrapped in a cause',
    new Error('could not connect', { cause: sys('ENOTFOUND', 'getaddrinfo ENOTFOUND db-7f3a.internal') }),
    'staging: the database host cannot be resolved.',
  ],
];

describe('a target that cannot be reached is one sentence without its address', () => {
  it.each(cases)('%s', (_name, error, expected) => {
    const said = describeTargetError(env, error);
    expect(said).toContain(expected);
    expect(said).toMatch(/\(the bot log has the full error\)\.$/);
    for (const secret of ['db-7f3a', '10.1.2.3', '10.9.8.7', '6432', '5432', 'orders', '.s.PGSQL', '::1'])
      expect(said).not.toContain(secret);
  });

  it('a query that failed once connected keeps its code and message', () => {
    const e = pgError('42501', 'permission denied for table ledger');
    expect(connectFailureOf(e)).toBeUndefined();
    expect(describeTargetError(env, e)).toBe(
      'A query failed on staging: 42501 permission denied for table ledger.',
    );
    expect(
      connectFailureOf(pgError('57014', 'canceling statement due to statement timeout')),
    ).toBeUndefined();
  });

  it('anything else says the log has it, and shows nothing of the error', () => {
    const said = describeTargetError(
      env,
      new TypeError("Cannot read properties of undefined (reading 'rows')"),
    );
    expect(said).toBe(
      'staging: the work on the database stopped with an unexpected error; the bot log has the full error.',
    );
  });
});
