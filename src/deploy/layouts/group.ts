/** Group a folder's files into migrations through a layout: ordered, unique, every down and checks file placed. Pure. */
import { compareOrder, type FilePart, type Layout } from './model.js';

export interface LayoutMigration<T> {
  readonly id: string;
  readonly version: string;
  readonly order: readonly bigint[];
  readonly up: T;
  readonly upPath: string;
  readonly down?: T;
  readonly downPath?: string;
  readonly checks?: T;
  readonly checksPath?: string;
}

interface Slot<T> {
  version: string;
  order: readonly bigint[];
  paths: Partial<Record<FilePart['kind'], string>>;
  values: Partial<Record<FilePart['kind'], T>>;
}

export function compareMigrations(
  a: { id: string; order: readonly bigint[] },
  b: { id: string; order: readonly bigint[] },
): number {
  return compareOrder(a.order, b.order) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Every path's part in the layout, migrations in order, and a sentence for each file that is wrong. */
export function groupByLayout<T>(
  layout: Layout,
  entries: readonly { path: string; value: T }[],
): { migrations: LayoutMigration<T>[]; problems: string[] } {
  const problems: ((next: string) => string)[] = [];
  const byId = new Map<string, Slot<T>>();
  let max: bigint | undefined;
  let width = 0;
  for (const { path, value } of entries) {
    const role = layout.role(path);
    if (!role) continue;
    if ('problem' in role) {
      problems.push(role.problem);
      continue;
    }
    const lead = role.order[0]!;
    if (max === undefined || lead > max) max = lead;
    width = Math.max(width, /^\D*(\d+)/.exec(role.id)?.[1]?.length ?? 0);
    const slot = byId.get(role.id) ?? { version: role.version, order: role.order, paths: {}, values: {} };
    slot.paths[role.kind] = path;
    slot.values[role.kind] = value;
    byId.set(role.id, slot);
  }
  const next = layout.next(max, width);
  const out: string[] = problems.map((p) => p(next));
  const seen = new Map<string, string>();
  const migrations: LayoutMigration<T>[] = [];
  if (layout.downByVersion) adoptDowns(byId);
  const sorted = [...byId].sort(([a, x], [b, y]) => compareMigrations({ id: a, ...x }, { id: b, ...y }));
  for (const [id, slot] of sorted) {
    const names = layout.names(id);
    if (slot.values.up === undefined) {
      const files = [slot.paths.down, slot.paths.checks].filter(Boolean).join(', ');
      out.push(`${files}: there is no ${names.up} beside it`);
      continue;
    }
    const key = layout.uniqueById ? id : slot.order.join('.');
    const other = seen.get(key);
    if (other) {
      out.push(
        `${names.up}: version ${slot.version} is also used by ${layout.names(other).up}; give each migration its own number`,
      );
      continue;
    }
    seen.set(key, id);
    migrations.push({
      id,
      version: slot.version,
      order: slot.order,
      up: slot.values.up,
      upPath: slot.paths.up!,
      down: slot.values.down,
      downPath: slot.paths.down,
      checks: slot.values.checks,
      checksPath: slot.paths.checks,
    });
  }
  return { migrations, problems: out };
}

/** Move a down file without its own up file to the migration of the same version that has no down file. */
function adoptDowns<T>(byId: Map<string, Slot<T>>): void {
  for (const [id, slot] of byId) {
    if (slot.values.up !== undefined || slot.values.down === undefined || slot.values.checks !== undefined)
      continue;
    const home = [...byId.values()].find(
      (s) =>
        s.values.up !== undefined && s.values.down === undefined && compareOrder(s.order, slot.order) === 0,
    );
    if (!home) continue;
    home.values.down = slot.values.down;
    home.paths.down = slot.paths.down;
    byId.delete(id);
  }
}
