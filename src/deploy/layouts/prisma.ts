/**
 * prisma: one folder per migration, `<timestamp>_name/migration.sql` (what `prisma migrate dev` writes), with
 * `down.sql` (Prisma's documented place for a down migration) and `migration.checks.yml` in the same folder.
 * `migration_lock.toml` and anything else are ignored. The id and the version are the folder's name. Pure.
 */
import { type FileRole, type Layout, nextNumber, slug, stemOf } from './model.js';

const FOLDER = /^(\d+)_([^/]+)$/;
const PARTS: Record<string, 'up' | 'down' | 'checks'> = {
  'migration.sql': 'up',
  'down.sql': 'down',
  'migration.checks.yml': 'checks',
};

function role(path: string): FileRole {
  if (path.startsWith('.') || path === 'migration_lock.toml') return undefined;
  const slash = path.indexOf('/');
  if (slash < 0) {
    if (!/\.sql$/i.test(path)) return undefined;
    return {
      problem: (next) =>
        `${path}: Prisma keeps each migration in a folder; move it to ${next}_${slug(stemOf(path).replace(/^\d+_?/, ''))}/migration.sql`,
    };
  }
  const folder = path.slice(0, slash);
  const file = path.slice(slash + 1);
  if (folder.startsWith('.')) return undefined;
  const kind = PARTS[file];
  if (!kind) {
    if (file === 'migration.checks.yaml')
      return {
        problem: () => `${path}: rename it to ${folder}/migration.checks.yml (the extension is .yml)`,
      };
    return undefined;
  }
  const m = FOLDER.exec(folder);
  if (!m)
    return {
      problem: (next) =>
        `${folder}/: rename the folder to ${next}_${slug(folder)} (a timestamp, an underscore, then a name)`,
    };
  return { kind, id: folder, version: folder, order: [BigInt(m[1]!)] };
}

export const prisma: Layout = {
  name: 'prisma',
  role,
  next: (max, width) => nextNumber(max, width, '20240101000000'),
  names: (id) => ({
    up: `${id}/migration.sql`,
    down: `${id}/down.sql`,
    checks: `${id}/migration.checks.yml`,
  }),
  uniqueById: true,
};
