import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export const pgPassword = () => inject('pgPassword');

/** A fresh database on the suite's server; returns its URL. */
export async function createTestDatabase(prefix: string): Promise<string> {
  const base = inject('pgBaseUrl');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: `${base}postgres` });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return `${base}${name}`;
}

/** Run one query on a database and return its rows. */
export async function query<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}
