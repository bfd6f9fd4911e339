/**
 * flyway: `V<version>__<description>.sql` (dotted versions, `_` also separating parts: `V1_1__x` is 1.1), ordered
 * as Flyway orders them (part by part as numbers, trailing zeros dropped: 1.0 = 1); `U<version>__<description>.sql`
 * undo files are the down files; `V…__….checks.yml` beside a migration. Repeatable migrations (`R__`) and
 * callbacks are refused with a sentence. Files may sit in subfolders, as Flyway scans them. Pure.
 */
import { baseName, type FileRole, type Layout, nextNumber, slug, stemOf } from './model.js';

const PATTERN = /^([VU])(\d+(?:[._]\d+)*)__(.+?)(\.checks\.yml|\.sql)$/;
const CALLBACK = /^(before|after)[A-Z][A-Za-z]*(__.*)?\.sql$/;

/** Flyway's version parts, trailing zeros dropped (1.0 and 1 are the same version). */
export function flywayOrder(version: string): bigint[] {
  const parts = version.split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts.at(-1) === 0n) parts.pop();
  return parts;
}

function role(path: string): FileRole {
  const file = baseName(path);
  if (path.split('/').some((s) => s.startsWith('.'))) return undefined;
  if (!/\.sql$/i.test(file) && !/\.checks\.ya?ml$/i.test(file)) return undefined;
  if (/^R__/.test(file))
    return {
      problem: () =>
        `${path}: a Flyway repeatable migration (run again whenever its checksum changes, after the versioned ones); migration-gate does not run repeatable migrations yet: apply it by hand with psql, or make it a versioned migration V<next version>__${slug(stemOf(file).slice(3))}.sql`,
    };
  if (CALLBACK.test(file))
    return {
      problem: () =>
        `${path}: a Flyway callback (run around every migrate); migration-gate does not run callbacks: move it out of the migrations folder, or make it a versioned migration`,
    };
  const m = PATTERN.exec(file);
  if (!m)
    return {
      problem: (next) => {
        const v = /^[VvUu]?(\d+(?:[._]\d+)*)_*(.*)$/.exec(stemOf(file));
        const version = v?.[1] ?? next;
        const prefix = /^[Uu]/.test(file) ? 'U' : 'V';
        return `${path}: rename it to ${prefix}${version}__${slug(v?.[2] || stemOf(file))}${/\.ya?ml$/i.test(file) ? '.checks.yml' : '.sql'} (V, the version, two underscores, then a description)`;
      },
    };
  const version = m[2]!.replace(/_/g, '.');
  const kind = m[4] === '.checks.yml' ? 'checks' : m[1] === 'U' ? 'down' : 'up';
  return { kind, id: `V${m[2]}__${m[3]}`, version, order: flywayOrder(m[2]!) };
}

export const flyway: Layout = {
  name: 'flyway',
  role,
  next: (max) => nextNumber(max, 0, '1'),
  names: (id) => ({ up: `${id}.sql`, down: `U${id.slice(1)}.sql`, checks: `${id}.checks.yml` }),
  downByVersion: true,
};
