/**
 * What a deploy of a deploy.yml with `services:` binds (docs/services.md): `release` takes every service's files up
 * to its newest; `community/024_rls` takes that service's files up to that one. Each service's files are keyed
 * `service/…` in the run's checksums.
 */
import type { DeployConfig } from '../config.js';
import { findMigration } from '../deploy/files.js';
import { underService } from '../deploy/service-files.js';
import { esc } from '../slack/mrkdwn.js';
import { checksumsUpTo, discoverMigrations } from '../target/files.js';

export type Picked =
  | { ok: true; migration: string; services: string[]; checksums: Record<string, string> }
  | { ok: false; message: string };

const names = (deploy: DeployConfig) => (deploy.services ?? []).map((s) => `\`${s.name}\``).join(', ');

/** The services and files `what` names, or the sentence saying what is wrong and what would work. */
export function pickServices(deploy: DeployConfig, what: string, release: boolean): Picked {
  const services = deploy.services ?? [];
  if (release) {
    const checksums: Record<string, string> = {};
    const chosen: string[] = [];
    for (const s of services) {
      const found = discoverMigrations(s.migrationsDir, s.migrationsLayout);
      if (found.problems.length) return badNames(s.name, found.problems);
      const newest = found.migrations.at(-1);
      if (!newest) continue;
      chosen.push(s.name);
      Object.assign(checksums, underService(s.name, checksumsUpTo(found.migrations, newest.id)));
    }
    if (!chosen.length)
      return {
        ok: false,
        message: `No service has migrations to deploy: every folder of ${names(deploy)} is empty.`,
      };
    return { ok: true, migration: 'release', services: chosen, checksums };
  }
  const slash = what.indexOf('/');
  const service = slash === -1 ? undefined : what.slice(0, slash);
  const name = slash === -1 ? what : what.slice(slash + 1);
  // A bare name is found in the one service that has it.
  const candidates = services.filter((s) => service === undefined || s.name === service);
  if (service !== undefined && !candidates.length)
    return {
      ok: false,
      message: `There is no service ${esc(JSON.stringify(service))} in deploy.yml. Services: ${names(deploy)}.`,
    };
  const hits = candidates.flatMap((s) => {
    const found = discoverMigrations(s.migrationsDir, s.migrationsLayout);
    const m = findMigration(found.migrations, name);
    return m ? [{ s, found, m }] : [];
  });
  if (hits.length === 1) {
    const { s, found, m } = hits[0]!;
    if (found.problems.length) return badNames(s.name, found.problems);
    return {
      ok: true,
      migration: `${s.name}/${m.id}`,
      services: [s.name],
      checksums: underService(s.name, checksumsUpTo(found.migrations, m.id)),
    };
  }
  if (hits.length > 1)
    return {
      ok: false,
      message: `${esc(JSON.stringify(name))} is a migration of ${hits.map((h) => `\`${h.s.name}\``).join(' and ')}: say which, e.g. \`/deploy-migration ${hits[0]!.s.name}/${hits[0]!.m.id}\`.`,
    };
  const available = candidates
    .flatMap((s) =>
      discoverMigrations(s.migrationsDir, s.migrationsLayout).migrations.map((m) => `\`${s.name}/${m.id}\``),
    )
    .slice(0, 30);
  return {
    ok: false,
    message: `There is no migration ${esc(JSON.stringify(what.slice(0, 80)))}. Name it as service/migration (available: ${available.join(', ') || 'none'}), or deploy every service with \`/deploy-migration release\`.`,
  };
}

function badNames(service: string, problems: readonly string[]): Picked {
  return {
    ok: false,
    message: `The migrations folder of ${service} has files with bad names, so nothing runs until they are fixed:\n• ${problems.map(esc).join('\n• ')}`,
  };
}
