/** `/deploy-migration list`: every migration and where it is applied, pending or drifted, per environment. */
import { describeDrift, planPending } from '../deploy/ledger.js';
import { type ListCell, migrationList } from '../slack/blocks.js';
import type { Respond } from '../slack/chat.js';
import { withTargetClient } from '../target/client.js';
import { describeTargetError } from '../target/connect-errors.js';
import { discoverMigrations } from '../target/files.js';
import { readLedger } from '../target/ledger.js';
import type { Shell } from './answer.js';

export async function listCommand(s: Shell, respond: Respond) {
  const { deploy, footprints } = s.deps;
  const { migrations, problems } = discoverMigrations(deploy.migrationsDir);
  const ledgers = await Promise.all(
    deploy.environments.map((env) =>
      withTargetClient(env, footprints, readLedger).then(
        (l) => ({ ok: true as const, l }),
        (e: unknown) => ({ ok: false as const, problem: describeTargetError(env, e) }),
      ),
    ),
  );
  const rows = migrations.map((m) => ({
    id: m.id,
    checksum: m.checksum,
    cells: ledgers.map((l): ListCell => {
      if (!l.ok) return { state: 'unreachable' };
      const entry = l.l.find((e) => e.id === m.id);
      if (!entry) return { state: 'pending' };
      return entry.checksum === m.checksum
        ? { state: 'applied', appliedAt: entry.appliedAt }
        : { state: 'drift' };
    }),
  }));
  const notes = [...problems];
  for (const [i, l] of ledgers.entries()) {
    const last = migrations.at(-1);
    if (!l.ok) notes.push(l.problem);
    else if (last)
      for (const d of planPending(migrations, l.l, last.id).drift)
        notes.push(describeDrift(d, deploy.environments[i]!.name));
  }
  return respond(
    migrationList(
      deploy.environments.map((e) => e.name),
      rows,
      notes,
    ),
  );
}
