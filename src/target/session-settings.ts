/** An environment's session settings (deploy.yml `settings:`) around one migration file, and their reset. */
import type pg from 'pg';

export type Settings = Readonly<Record<string, string>> | undefined;

/**
 * Set every setting: `local` for the file's transaction (SET LOCAL), else for the session until `resetSettings`.
 * set_config takes the value as SET would read it unquoted: `storage, public` is two schemas.
 */
export async function applySettings(
  client: pg.ClientBase,
  settings: Settings,
  local: boolean,
): Promise<void> {
  const entries = Object.entries(settings ?? {});
  if (!entries.length) return;
  const calls = entries.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, ${local})`);
  try {
    await client.query(`select ${calls.join(', ')}`, entries.flat());
  } catch (e) {
    // Say where the failing value comes from: PostgreSQL's message alone would point at the file.
    if (e instanceof Error)
      e.message = `deploy.yml settings (${entries.map(([n]) => n).join(', ')}): ${e.message}`;
    throw e;
  }
}

/** Back to the values the session started with (also inside a transaction: before the ledger rows are written). */
export async function resetSettings(client: pg.ClientBase, settings: Settings): Promise<void> {
  const names = Object.keys(settings ?? {});
  if (!names.length) return;
  // Names match GUC_NAME (config-schema.ts): quoting each part keeps a keyword such as `all` a plain name.
  const quoted = (name: string) =>
    name
      .split('.')
      .map((p) => `"${p}"`)
      .join('.');
  await client.query(names.map((n) => `reset ${quoted(n)}`).join('; '));
}
