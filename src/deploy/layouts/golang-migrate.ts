/**
 * golang-migrate: `<version>_<title>.up.sql` and `<version>_<title>.down.sql` (titles may hold dots:
 * `0190_2.16.0_schema`); the version is the leading number as written; `<version>_<title>.checks.yml` beside
 * them. Pure.
 */
import { type FileRole, type Layout, nextNumber, slug, stemOf } from './model.js';

const PATTERN = /^(\d+)_(.+?)(\.up\.sql|\.down\.sql|\.checks\.yml)$/;

function role(path: string): FileRole {
  if (path.startsWith('.') || path.includes('/')) return undefined;
  if (!/\.sql$/i.test(path) && !/\.checks\.ya?ml$/i.test(path)) return undefined;
  const m = PATTERN.exec(path);
  if (!m)
    return {
      problem: (next) => {
        const lead = /^(\d+)_(.+)$/.exec(stemOf(path));
        const stem = lead ? `${lead[1]}_${lead[2]}` : `${next}_${slug(stemOf(path))}`;
        const ext = /\.checks\.ya?ml$/i.test(path)
          ? '.checks.yml'
          : /\.down\.sql$/i.test(path)
            ? '.down.sql'
            : '.up.sql';
        return `${path}: rename it to ${stem}${ext} (golang-migrate reads <version>_<title>.up.sql and .down.sql)`;
      },
    };
  const kind = m[3] === '.up.sql' ? 'up' : m[3] === '.down.sql' ? 'down' : 'checks';
  return { kind, id: `${m[1]}_${m[2]}`, version: m[1]!, order: [BigInt(m[1]!)] };
}

export const golangMigrate: Layout = {
  name: 'golang-migrate',
  role,
  next: (max, width) => nextNumber(max, width, '000001'),
  names: (id) => ({ up: `${id}.up.sql`, down: `${id}.down.sql`, checks: `${id}.checks.yml` }),
};
