/** 100 mixed checks against a generated 10,000-table target: ours against the same SQL run one by one with psql. */
import { execFileSync } from 'node:child_process';
import type { Check, CheckInput } from '../src/deploy/check-schema.js';
import { parseChecks } from '../src/deploy/checks.js';
import { runChecks } from '../src/target/checks.js';
import { type Footprints, unrecorded } from '../src/target/footprint.js';
import { type BenchPg, makeTables, ms, table, which } from './support.js';

function mixedChecks(n: number, tables: number): CheckInput[] {
  const out: CheckInput[] = [];
  for (let i = 0; out.length < n; i++) {
    const t = `t_${(i * 97) % tables}`;
    const p = `t_${Math.max(0, ((i * 97) % tables) - 1)}`;
    out.push(
      [
        { name: `${t} exists`, table: t },
        { name: `${t}.name`, column: { table: t, name: 'name', type: 'text', nullable: false } },
        { name: `${t} index`, index: { table: t, columns: ['name'] } },
        { name: `${t} fk`, constraint: { table: t, type: 'foreign_key' as const, references: p } },
        { name: `${t} empty`, sql: `select count(*) from ${t}`, expect: 0 },
        { name: `${t} check`, constraint: { table: t, type: 'check' as const } },
        { name: `${t} rls off`, rls: { table: t, enabled: false } },
        { name: 'plpgsql', extension: 'plpgsql' },
        { name: `${t} grant`, grant: { table: t, privilege: 'select', to: ['postgres'] } },
        {
          name: 'fk count',
          sql: "select count(*) from pg_constraint where contype = 'f'",
          expect: '>= 9999',
        },
      ][i % 10]!,
    );
  }
  // the first table has no FK
  return out.map((c) =>
    'constraint' in c && c.constraint?.table === 't_0' && c.constraint.type === 'foreign_key'
      ? { name: 't_0 pk', constraint: { table: 't_0', type: 'primary_key' as const } }
      : c,
  );
}

/** The check's SQL with its parameters written in, for psql. */
function inline(check: Check): string {
  const p = check.plan;
  if (p.kind === 'sql') return p.sql;
  if (p.kind !== 'catalog') throw new Error(`not benchmarked: ${p.kind}`);
  const lit = (v: unknown): string =>
    Array.isArray(v)
      ? `array[${v.map(lit).join(', ')}]`
      : typeof v === 'boolean' || typeof v === 'number'
        ? String(v)
        : `'${String(v).replace(/'/g, "''")}'`;
  return p.sql.replace(/\$(\d+)/g, (_, i) => lit(p.params[Number(i) - 1]));
}

export async function benchChecks(pgs: BenchPg): Promise<string> {
  const url = await pgs.createDatabase('bench_checks');
  await makeTables(url, 10_000);
  const parsed = parseChecks(mixedChecks(100, 10_000), 'bench');
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const checks = parsed.checks;
  await runChecks(url, checks.slice(0, 5), { footprints: unrecorded }); // warm the catalog caches for both
  // The bot's footprint with a seq_scans metric configured: each check's transaction reads what it scanned of the
  // run's touched tables (here 20 of the 10,000) before COMMIT; and the worst case, where no list is known (a check
  // on command outside a run), reading every user table.
  const touched = Array.from({ length: 20 }, (_, i) => `public.t_${i + 1}`);
  const measured: Footprints = {
    ...unrecorded,
    measure: { seqScans: true, functions: ['f1'], tables: touched },
  };
  const everyTable: Footprints = { ...unrecorded, measure: { seqScans: true, functions: ['f1'] } };
  const t0 = performance.now();
  await runChecks(url, checks, { footprints: everyTable, parallel: 4 });
  const worst = performance.now() - t0;
  const t = performance.now();
  const results = await runChecks(url, checks, { footprints: measured, parallel: 4 });
  const ours = performance.now() - t;
  const t2 = performance.now();
  await runChecks(url, checks, { footprints: unrecorded, parallel: 4 });
  const light = performance.now() - t2;
  const failed = results.filter((r) => r.status !== 'pass');
  const rows: (string | number)[][] = [
    ['', '100 checks', 'per check'],
    ['migration-gate (4 in parallel), seq_scans footprint of 20 touched tables', ms(ours), ms(ours / 100)],
    ['migration-gate, no seq_scans/function metric configured', ms(light), ms(light / 100)],
    ['migration-gate, seq_scans footprint of every table (no run)', ms(worst), ms(worst / 100)],
  ];
  const psql = which('psql');
  let ratio = 'psql not found: no baseline';
  if (psql) {
    const s = performance.now();
    for (const c of checks)
      execFileSync(psql, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', inline(c), url], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    const theirs = performance.now() - s;
    rows.push(['psql, one invocation per check (baseline)', ms(theirs), ms(theirs / 100)]);
    ratio = `ours is ${(theirs / ours).toFixed(1)}× faster (target ≥ 10×, and ≤ 1 s)`;
  }
  return `100 mixed checks on a 10,000-table target (${results.length - failed.length}/${results.length} pass${failed.length ? `; failing: ${failed.map((f) => `${f.name}: ${f.error ?? f.actual}`).join('; ')}` : ''})\n${table(rows)}\n${ratio}`;
}
