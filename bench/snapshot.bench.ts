/** Snapshot + diff of a generated 10,000-table schema: ours against pg_dump --schema-only on the same database. */
import { execFileSync } from 'node:child_process';
import { diffSnapshots, summarizeDiff } from '../src/deploy/diff.js';
import { withTargetClient } from '../src/target/client.js';
import { unrecorded } from '../src/target/footprint.js';
import { takeSnapshot } from '../src/target/snapshot.js';
import { type BenchPg, makeTables, ms, table, which } from './support.js';

async function countingSnapshot(
  url: string,
): Promise<{ ms: number; roundTrips: number; snapshot: Awaited<ReturnType<typeof takeSnapshot>> }> {
  return withTargetClient({ databaseUrl: url }, unrecorded, async (client) => {
    let roundTrips = 0;
    const original = client.query.bind(client);
    (client as unknown as { query: typeof original }).query = ((...args: Parameters<typeof original>) => {
      roundTrips++;
      return original(...args);
    }) as typeof original;
    const t = performance.now();
    const snapshot = await takeSnapshot(client);
    return { ms: performance.now() - t, roundTrips, snapshot };
  });
}

export async function benchSnapshot(pgs: BenchPg): Promise<string> {
  const url = await pgs.createDatabase('bench_snapshot');
  const rows: (string | number)[][] = [
    ['tables', 'snapshot, first', 'snapshot, again', 'round trips', 'again + diff', 'pg_dump -s (baseline)'],
  ];
  const pgDump = which('pg_dump');
  let made = 0;
  let previous: Awaited<ReturnType<typeof takeSnapshot>> | undefined;
  for (const n of [100, 1000, 10_000]) {
    await makeTables(url, n - made, made);
    made = n;
    // The first snapshot after creating tables fills the server's catalog caches; an apply takes a second one
    // right after, which is the "again" figure.
    const first = await countingSnapshot(url);
    const s = await countingSnapshot(url);
    const t = performance.now();
    const summary = previous ? summarizeDiff(diffSnapshots(previous, s.snapshot)) : '';
    const diffMs = performance.now() - t;
    let dumpMs = Number.NaN;
    if (pgDump) {
      const d = performance.now();
      execFileSync(pgDump, ['-s', '-f', '/dev/null', url], { stdio: 'ignore' });
      dumpMs = performance.now() - d;
    }
    rows.push([n, ms(first.ms), ms(s.ms), s.roundTrips, ms(s.ms + diffMs), pgDump ? ms(dumpMs) : 'n/a']);
    if (summary) rows.push(['', `diff: ${summary.slice(0, 70)}`, '', '', '', '']);
    previous = s.snapshot;
  }
  return `Catalog snapshot + diff (target ≤ 2 s at 10,000 tables; round trips constant)\n${table(rows)}`;
}
