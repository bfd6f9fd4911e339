/**
 * A real Prometheus (Debian's `prometheus` package) for tests: started on a free port of 127.0.0.1 with a temporary
 * storage folder and a short scrape interval, scraping the targets given; ready once every target is up.
 * Tests that need it skip, saying why, only on a machine without the binary (CI installs it with apt).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? 'prometheus';

/** Whether Debian's prometheus binary is on this machine (`apt-get install -y prometheus`). */
export const hasPrometheus = spawnSync(PROMETHEUS_BIN, ['--version'], { stdio: 'ignore' }).status === 0;

export interface Prometheus {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** An instant query's one number (NaN when it returned nothing). */
  value(query: string): Promise<number>;
  /** Wait until `query` reads a number that `ok` accepts (Prometheus has scraped what the test recorded). */
  waitFor(query: string, ok: (v: number) => boolean, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.json();
}

/**
 * Start Prometheus scraping `targets` (host:port) every 500 ms; resolves once each target is up. `labels` (one per
 * target) are added to its series, e.g. { service: 'community' }.
 */
export async function startPrometheus(
  targets: readonly string[],
  labels?: readonly Record<string, string>[],
): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'mg-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 500ms',
      '  scrape_timeout: 400ms',
      'scrape_configs:',
      '  - job_name: app',
      '    static_configs:',
      ...(labels
        ? targets.flatMap((t, i) => [
            `      - targets: ['${t}']`,
            `        labels: { ${Object.entries(labels[i] ?? {})
              .map(([k, v]) => `${k}: '${v}'`)
              .join(', ')} }`,
          ])
        : [`      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`]),
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let url = '';
  const log: string[] = [];
  // Another process may take the free port between the check and Prometheus binding it: try again then.
  for (let attempt = 0; attempt < 3 && !url; attempt++) {
    const port = await freePort();
    child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
    const exited = new Promise<void>((r) => child!.once('exit', () => r()));
    const deadline = Date.now() + 20_000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      ready = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (ready) break;
      await Promise.race([sleep(200), exited]);
    }
    if (ready) url = `http://127.0.0.1:${port}`;
    else {
      child.kill('SIGKILL');
      await exited;
    }
  }
  if (!url || !child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Prometheus did not start:\n${log.join('').slice(-2000)}`);
  }
  const proc = child;
  const value = async (query: string) => {
    const a = (await getJson(`${url}/api/v1/query?query=${encodeURIComponent(query)}`)) as {
      data?: { resultType: string; result: unknown };
    };
    const r = a.data?.result as { value: [number, string] }[] | [number, string] | undefined;
    if (a.data?.resultType === 'scalar') return Number((r as [number, string])[1]);
    const v = r as { value: [number, string] }[] | undefined;
    return v?.length === 1 ? Number(v[0]!.value[1]) : Number.NaN;
  };
  const waitFor = async (query: string, ok: (v: number) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = Number.NaN;
    while (Date.now() < deadline) {
      last = await value(query).catch(() => Number.NaN);
      if (ok(last)) return last;
      await sleep(200);
    }
    throw new Error(`Prometheus: ${query} read ${last} after ${timeoutMs} ms`);
  };
  const stop = async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(`min(up{job="app"})`, (v) => v === 1, 20_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, value, waitFor, stop };
}
