/**
 * A migration file asking to run outside a transaction, in any layout: a marker among its leading comment lines
 * (ours, or postgres-migrations'), or Flyway's per-script configuration. dbmate's `transaction:false` is read with
 * its sections (dbmate.ts). Each returns the sentence the preflight and the apply reply show as the reason. Pure.
 */

const MARKERS: readonly [RegExp, string][] = [
  [/^--\s*migration-gate:\s*no-transaction\s*$/i, '-- migration-gate: no-transaction'],
  [/^--\s*postgres-migrations\s+disable-transaction\s*$/i, '-- postgres-migrations disable-transaction'],
];

/** The marker in the comment lines before the first SQL line, if one is there. */
export function headerMarker(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (!line.startsWith('--')) return undefined;
    for (const [pattern, reason] of MARKERS) if (pattern.test(line)) return reason;
  }
  return undefined;
}

/** Flyway's `<script>.sql.conf`: `executeInTransaction=false` runs the script outside a transaction. */
export function flywayScriptConfig(text: string, confName: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const m = /^executeInTransaction\s*=\s*(\S+)$/.exec(line);
    if (m && m[1]!.toLowerCase() === 'false') return `executeInTransaction=false in ${confName}`;
  }
  return undefined;
}
