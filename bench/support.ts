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
