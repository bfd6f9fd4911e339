/** `/deploy-migration list`: every migration and where it is applied, pending or drifted, per environment. */
import { adoptForeign, describeUnfinished } from '../deploy/foreign-ledger.js';
import { describeLayout } from '../deploy/layouts/detect.js';
import { describeDrift, planPending } from '../deploy/ledger.js';
import { serviceKey } from '../deploy/service-files.js';
import { type ListCell, migrationList } from '../slack/blocks.js';
import type { Respond } from '../slack/chat.js';
import { withTargetClient } from '../target/client.js';
import { describeTargetError } from '../target/connect-errors.js';
import { discoverMigrations } from '../target/files.js';
import { readLedgers } from '../target/foreign-ledgers.js';
import { folderOf, targetOf } from '../targets.js';
import type { Shell } from './answer.js';

export async function listCommand(s: Shell, respond: Respond) {
  const { deploy } = s.deps;
  // With services, each service's migrations (named service/id) in its own databases, one after another.
  const parts = await Promise.all(
    (deploy.services?.map((x) => x.name) ?? [undefined]).map((service) => listOne(s, service)),
  );
  return respond(
    migrationList(
      deploy.environments.map((e) => e.name),
      parts.flatMap((p) => p.rows),
      parts.flatMap((p) => p.notes),
      parts.map((p) => p.layout).join('; '),
    ),
  );
}

async function listOne(s: Shell, service: string | undefined) {
  const { deploy, footprints } = s.deps;
  const folder = folderOf(deploy, service);
  const { migrations, problems, layout } = discoverMigrations(folder.dir, folder.layout);
  const envs = deploy.environments.map((e) => targetOf(deploy, e.name, service)!);
  const named = (id: string) => (service ? serviceKey(service, id) : id);
  const ledgers = await Promise.all(
    envs.map((env) =>
      withTargetClient(env, footprints, (c) => readLedgers(c, migrations)).then(
        (l) => ({ ok: true as const, ...l }),
        (e: unknown) => ({ ok: false as const, problem: describeTargetError(env, e) }),
      ),
    ),
  );
  const rows = migrations.map((m) => ({
    id: named(m.id),
    checksum: m.checksum,
    cells: ledgers.map((l): ListCell => {
      if (!l.ok) return { state: 'unreachable' };
      // The bot's own row first, then what another tool recorded (Prisma, dbmate …): both count as applied.
      const entry =
        l.own.find((e) => e.id === m.id) ?? adoptForeign([m], l.foreign).entries.find((e) => e.id === m.id);
      if (!entry) return { state: 'pending' };
      return entry.checksum === m.checksum
        ? {
            state: 'applied',
            appliedAt: entry.appliedAt || entry.recordedBy,
            ...('baselined' in entry && entry.baselined ? { baselined: true } : {}),
          }
        : { state: 'drift' };
    }),
  }));
  const notes = problems.map((p) => (service ? `${service}: ${p}` : p));
  for (const [i, l] of ledgers.entries()) {
    const last = migrations.at(-1);
    if (!l.ok) notes.push(l.problem);
    else if (last) {
      const plan = planPending(migrations, l.own, last.id, l.foreign);
      const env = service ? `${deploy.environments[i]!.name} (${service})` : deploy.environments[i]!.name;
      for (const d of plan.drift) notes.push(describeDrift(d, env));
      for (const u of plan.unfinished) notes.push(describeUnfinished(u, env));
    }
  }
  return { rows, notes, layout: service ? `${service}: ${describeLayout(layout)}` : describeLayout(layout) };
}
