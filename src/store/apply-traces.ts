/**
 * Stored apply results on other environments that applied any of some files, newest first, with their runs'
 * checksums: where `migration-gate plan` finds the lock trace measured for each file (deploy/known-traces.ts).
 */
import { sql } from 'drizzle-orm';
import type { StoredApply } from '../deploy/known-traces.js';
import { parseStepResult, stepResult, whereResult } from '../deploy/step-results.js';
import type { Tx } from './db.js';

export async function appliesOf(
  db: Tx,
  ids: readonly string[],
  exceptEnv: string,
  limit = 100,
): Promise<{ applies: StoredApply[]; unreadable: string[] }> {
  if (!ids.length) return { applies: [], unreadable: [] };
  const r = await db.execute<{
    run_id: number;
    idx: number;
    env: string;
    name: string;
    result: unknown;
    finished_at: string | null;
    checksums: Record<string, string>;
  }>(sql`
    select s.run_id, s.idx, s.env, s.name, s.result, r.checksums,
           to_char(s.finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as finished_at
      from migration_gate_state.steps s join migration_gate_state.runs r on r.id = s.run_id
     where s.name = 'apply' and s.env <> ${exceptEnv} and s.result is not null
       and exists (select 1 from jsonb_array_elements(s.result->'files') f
                    where f->>'id' in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)))
     order by s.finished_at desc nulls last, s.run_id desc, s.idx desc
     limit ${limit}`);
  const applies: StoredApply[] = [];
  const unreadable: string[] = [];
  for (const row of r.rows) {
    // A result that no longer parses (stored by an older bot) is skipped and named, not fatal.
    try {
      const where = whereResult(row.run_id, row.idx, row);
      const parsed = new Map([[0, parseStepResult(where, row, row.result)]]);
      const result = stepResult(parsed, 0, 'apply');
      if (result)
        applies.push({
          runId: row.run_id,
          env: row.env,
          finishedAt: row.finished_at,
          checksums: row.checksums,
          result,
        });
    } catch (e) {
      unreadable.push((e as Error).message);
    }
  }
  return { applies, unreadable };
}
