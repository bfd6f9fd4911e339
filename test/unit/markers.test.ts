import { describe, expect, it } from 'vitest';
import { flywayScriptConfig, headerMarker } from '../../src/deploy/layouts/markers.js';

describe('a file asking to run outside a transaction', () => {
  it('reads our marker and postgres-migrations’ among the leading comment lines', () => {
    expect(headerMarker('-- migration-gate: no-transaction\ncreate index concurrently i on t (a);')).toBe(
      '-- migration-gate: no-transaction',
    );
    expect(headerMarker('\n-- Add an index\n--   postgres-migrations disable-transaction\nselect 1;')).toBe(
      '-- postgres-migrations disable-transaction',
    );
    expect(headerMarker('-- migrate:up\n-- migration-gate: no-transaction\nselect 1;')).toBe(
      '-- migration-gate: no-transaction',
    );
  });

  it('ignores a marker after the first SQL line, or one with more words', () => {
    expect(headerMarker('select 1;\n-- migration-gate: no-transaction\n')).toBeUndefined();
    expect(headerMarker('-- migration-gate: no-transaction please\nselect 1;')).toBeUndefined();
    expect(headerMarker('')).toBeUndefined();
  });

  it('reads Flyway’s executeInTransaction=false from a script’s .conf, comments skipped', () => {
    expect(flywayScriptConfig('# why\nexecuteInTransaction = false\n', 'V2__idx.sql.conf')).toBe(
      'executeInTransaction=false in V2__idx.sql.conf',
    );
    expect(flywayScriptConfig('executeInTransaction=true\n', 'V2__idx.sql.conf')).toBeUndefined();
    expect(flywayScriptConfig('#executeInTransaction=false\n', 'V2__idx.sql.conf')).toBeUndefined();
  });
});
