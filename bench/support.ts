import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type EmbeddedServer, startEmbeddedPostgres } from '../src/embedded.js';

export interface BenchPg {
  baseUrl: string;
  createDatabase(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

/** DATABASE_URL's server when set (a superuser URL), else embedded PostgreSQL. */
export async function benchPostgres(): Promise<BenchPg> {
  let server: EmbeddedServer | undefined;
  let baseUrl: string;
  if (process.env.DATABASE_URL) {
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '/';
    baseUrl = u.toString();
  } else {
    server = await startEmbeddedPostgres({
      dataDir: join(mkdtempSync(join(tmpdir(), 'mg-bench-')), 'data'),
      persistent: false,
      password: randomBytes(12).toString('hex'),
    });
    baseUrl = server.baseUrl;
  }
  return {
    baseUrl,
    async createDatabase(prefix) {
      const name = `${prefix}_${randomBytes(4).toString('hex')}`;
      const c = new pg.Client({ connectionString: `${baseUrl}postgres` });
      await c.connect();
      await c.query(`create database ${name}`);
      await c.end();
      return `${baseUrl}${name}`;
    },
    stop: async () => server?.stop(),
  };
}

export function which(cmd: string): string | undefined {
  try {
    return execFileSync('which', [cmd], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ')).join('\n');
}

/** Generate tables t_<from>…t_<from+n-1>, each with a primary key, an FK to the previous one, a CHECK and an index. */
export async function makeTables(url: string, n: number, from = 0): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  for (let start = from; start < from + n; start += 500) {
    const stmts: string[] = [];
    for (let i = start; i < Math.min(from + n, start + 500); i++)
      stmts.push(
        `create table t_${i} (id bigint primary key, parent bigint${i > 0 ? ` references t_${i - 1} (id)` : ''}, name text not null check (name <> ''), created_at timestamptz default now()); create index t_${i}_name on t_${i} (name);`,
      );
    await c.query(stmts.join('\n'));
  }
  await c.end();
}
