/** The bot's cumulative footprint per target, kept in its store so every replica subtracts the same figures. */

import { sql } from 'drizzle-orm';
import type { MonitorMetric } from '../config.js';
import type { Counters, Footprints, Measure } from '../target/footprint.js';
import type { Db } from './db.js';
import { targetFootprints } from './schema.js';

export function storeFootprints(db: Db, measure: Measure): Footprints {
  return {
    measure,
    async add(target, counters) {
      if (!Object.keys(counters).length) return;
      // One statement: concurrent adds from several sessions or replicas all land (the row is locked on conflict).
      await db.execute(sql`
        insert into migration_gate_state.target_footprints as f (target, counters)
        values (${target}, ${JSON.stringify(counters)}::jsonb)
        on conflict (target) do update set updated_at = now(), counters = (
          select jsonb_object_agg(key, total) from (
            select key, sum(value::float8) as total from (
              select * from jsonb_each_text(f.counters) union all select * from jsonb_each_text(excluded.counters)
            ) u group by key) s)`);
    },
    async total(target) {
      const rows = await db
        .select({ counters: targetFootprints.counters })
        .from(targetFootprints)
        .where(sql`${targetFootprints.target} = ${target}`);
      return (rows[0]?.counters ?? {}) as Counters;
    },
  };
}

/** What monitoring can count of the bot's own transactions, given the configured metrics. */
export function measureFor(metrics: readonly MonitorMetric[]): Measure {
  const sources = metrics.map((m) => m.source);
  return {
    seqScans: sources.some((s) => s.kind === 'builtin' && s.metric === 'seq_scans'),
    functions: [...new Set(sources.flatMap((s) => (s.kind === 'builtin' && s.function ? [s.function] : [])))],
  };
}
