/**
 * dbmate: `<version>_name.sql`, one file holding `-- migrate:up` and `-- migrate:down` sections. The up section is
 * what is applied and checksummed, the down section is the down file; `transaction:false` after either marker runs
 * that section outside a transaction. `<id>.checks.yml` beside it. Pure.
 */
import { type FileRole, type Layout, nextNumber, type Sections, slug, stemOf } from './model.js';

const PATTERN = /^(\d+)_?(.*?)(\.checks\.yml|\.sql)$/;
const UP = /^--\s*migrate:up\b(.*)$/m;
const DOWN = /^--\s*migrate:down\b(.*)$/m;

function role(path: string): FileRole {
  if (path.startsWith('.') || path.includes('/')) return undefined;
  if (!/\.sql$/i.test(path) && !/\.checks\.ya?ml$/i.test(path)) return undefined;
  const m = PATTERN.exec(path);
  if (!m)
    return {
      problem: (next) =>
        `${path}: rename it to ${next}_${slug(stemOf(path))}${/\.ya?ml$/i.test(path) ? '.checks.yml' : '.sql'} (dbmate reads <version>_name.sql)`,
    };
  const id = `${m[1]}${m[2] ? `_${m[2]}` : ''}`;
  const stem = path.slice(0, -m[3]!.length);
  return { kind: m[3] === '.sql' ? 'up' : 'checks', id: stem || id, version: m[1]!, order: [BigInt(m[1]!)] };
}

function option(rest: string | undefined): string | undefined {
  return /\btransaction:false\b/.test(rest ?? '') ? 'transaction:false' : undefined;
}

/** Lines before `at` as empty lines, so that a section keeps the line numbers it has in the file. */
const blankBefore = (text: string, at: number) => text.slice(0, at).replace(/[^\n]/g, '');

export function dbmateSections(text: string): Sections | { problem: string } {
  const up = UP.exec(text);
  if (!up)
    return { problem: 'there is no `-- migrate:up` line; dbmate files start their up section with it' };
  const down = DOWN.exec(text);
  if (down && down.index < up.index)
    return { problem: '`-- migrate:down` comes before `-- migrate:up`; dbmate needs the up section first' };
  const before = text.slice(0, up.index);
  const stray = before.split('\n').findIndex((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  if (stray >= 0)
    return {
      problem: `line ${stray + 1}: SQL before \`-- migrate:up\` belongs to no section; move it under \`-- migrate:up\``,
    };
  const upText = down ? text.slice(0, down.index) : text;
  const downText = down ? blankBefore(text, down.index) + text.slice(down.index) : undefined;
  const hasSql = (t: string) => t.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('--'));
  const upOpt = option(up[1]);
  const downOpt = option(down?.[1]);
  return {
    up: upText,
    ...(downText !== undefined && hasSql(downText) ? { down: downText } : {}),
    ...(upOpt ? { noTransaction: `-- migrate:up ${upOpt}` } : {}),
    ...(downOpt ? { downNoTransaction: `-- migrate:down ${downOpt}` } : {}),
  };
}

export const dbmate: Layout = {
  name: 'dbmate',
  role,
  next: (max, width) => nextNumber(max, width, '20240101000000'),
  names: (id) => ({
    up: `${id}.sql`,
    down: `the \`-- migrate:down\` section of \`${id}.sql\``,
    checks: `${id}.checks.yml`,
  }),
  sections: dbmateSections,
};
