/**
 * `layout: auto`: which layout a folder is in, from its files' names (and, for dbmate, a marker line), with the
 * rule that decided it. The rules, first match wins (docs/layouts.md lists them):
 *   1. prisma: a folder `<number>_name/` holding `migration.sql`;
 *   2. flyway: a file `V<version>__<description>.sql` (or `U…__`, `R__…`);
 *   3. golang-migrate: a file `<number>_<title>.up.sql`;
 *   4. dbmate: a `.sql` file with a line `-- migrate:up`;
 *   5. supabase: the folder is `supabase/migrations`, or every `.sql` file is `<14-digit timestamp>_name.sql` and
 *      one of them is wrapped in `BEGIN; … COMMIT;`;
 *   6. plain otherwise.
 * Pure: the caller passes the relative paths and a way to read a file's text.
 */
import { dbmate } from './dbmate.js';
import { flyway } from './flyway.js';
import { golangMigrate } from './golang-migrate.js';
import type { Layout, LayoutName, LayoutSetting } from './model.js';
import { plain } from './plain.js';
import { prisma } from './prisma.js';
import { supabase } from './supabase.js';

export const LAYOUTS: Readonly<Record<LayoutName, Layout>> = {
  plain,
  prisma,
  supabase,
  'golang-migrate': golangMigrate,
  dbmate,
  flyway,
};

export interface ChosenLayout {
  readonly layout: Layout;
  /** How it was chosen: "set in deploy.yml", or the detection rule that matched. */
  readonly reason: string;
  readonly detected: boolean;
}

const WRAPPED =
  /^\s*(?:--[^\n]*\n\s*)*(?:begin|start\s+transaction)\s*;[\s\S]*\bcommit\s*;\s*(?:--[^\n]*\s*)*$/i;

export function detectLayout(
  paths: readonly string[],
  dir: string,
  read: (path: string) => string,
): ChosenLayout {
  const visible = paths.filter((p) => !p.split('/').some((s) => s.startsWith('.')));
  const top = visible.filter((p) => !p.includes('/'));
  const sql = top.filter((p) => /\.sql$/i.test(p));
  const found = (name: LayoutName, reason: string): ChosenLayout => ({
    layout: LAYOUTS[name],
    reason,
    detected: true,
  });
  if (visible.some((p) => /^\d+_[^/]+\/migration\.sql$/.test(p)))
    return found('prisma', 'folders named <timestamp>_name/ holding migration.sql');
  if (visible.some((p) => /(^|\/)[VUR](\d+(?:[._]\d+)*)?__[^/]+\.sql$/.test(p)))
    return found('flyway', 'files named V<version>__<description>.sql');
  if (sql.some((p) => /^\d+_.+\.up\.sql$/.test(p)))
    return found('golang-migrate', 'files named <version>_<title>.up.sql');
  if (sql.some((p) => /^--\s*migrate:up\b/m.test(read(p))))
    return found('dbmate', 'files with a `-- migrate:up` section');
  if (/(^|[\\/])supabase[\\/]migrations[\\/]?$/.test(dir))
    return found('supabase', 'the folder is supabase/migrations');
  const ups = sql.filter((p) => !/\.down\.sql$/i.test(p));
  if (ups.length && ups.every((p) => /^\d{14}_.+\.sql$/.test(p)) && ups.some((p) => WRAPPED.test(read(p))))
    return found('supabase', 'files named <timestamp>_name.sql, one wrapped in BEGIN; … COMMIT;');
  return found('plain', 'files named <number>_name.sql (no other layout matched)');
}

/** The layout deploy.yml sets, or the one detected when it says auto. */
export function chooseLayout(
  setting: LayoutSetting,
  paths: readonly string[],
  dir: string,
  read: (path: string) => string,
): ChosenLayout {
  if (setting !== 'auto') return { layout: LAYOUTS[setting], reason: 'set in deploy.yml', detected: false };
  return detectLayout(paths, dir, read);
}

/** "prisma (detected: folders named …)" or "flyway (set in deploy.yml)": how replies name the layout. */
export function describeLayout(l: {
  readonly name: LayoutName;
  readonly reason: string;
  readonly detected: boolean;
}): string {
  return l.detected ? `${l.name} (detected: ${l.reason})` : `${l.name} (${l.reason})`;
}
