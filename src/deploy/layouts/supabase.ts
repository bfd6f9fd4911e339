/**
 * supabase: `<timestamp>_name.sql` (what `supabase migration new` writes; the version is the timestamp). A file
 * wrapped in one `BEGIN; … COMMIT;` runs as that one transaction. `<id>.down.sql` and `<id>.checks.yml` beside a
 * migration are migration-gate's own (Supabase has no down files). Pure.
 */
import { type FileRole, type Layout, nextNumber, slug, stemOf } from './model.js';

const PATTERN = /^(\d+)_(.+?)(\.down\.sql|\.checks\.yml|\.sql)$/;

function role(path: string): FileRole {
  if (path.startsWith('.') || path.includes('/')) return undefined;
  if (!/\.sql$/i.test(path) && !/\.checks\.ya?ml$/i.test(path)) return undefined;
  const m = PATTERN.exec(path);
  if (!m)
    return {
      problem: (next) =>
        `${path}: rename it to ${next}_${slug(stemOf(path).replace(/^\d+_?/, ''))}${/\.checks\.ya?ml$/i.test(path) ? '.checks.yml' : /\.down\.sql$/i.test(path) ? '.down.sql' : '.sql'} (a timestamp, an underscore, then a name)`,
    };
  const kind = m[3] === '.sql' ? 'up' : m[3] === '.down.sql' ? 'down' : 'checks';
  return { kind, id: `${m[1]}_${m[2]}`, version: m[1]!, order: [BigInt(m[1]!)] };
}

export const supabase: Layout = {
  name: 'supabase',
  role,
  next: (max, width) => nextNumber(max, width, '20240101000000'),
  names: (id) => ({ up: `${id}.sql`, down: `${id}.down.sql`, checks: `${id}.checks.yml` }),
  wrapper: true,
};
