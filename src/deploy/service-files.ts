/**
 * A run of several services (deploy.yml `services:`) binds each service's files under `service/` in its checksums
 * (`community/024_rls`, `community/024_rls.down.sql`): ids of two services may be the same. Pure.
 */

/** The key a service's file has in a run's checksums. */
export const serviceKey = (service: string, key: string): string => `${service}/${key}`;

/** One service's part of a run's checksums, under its own keys; the whole of them for a run of one database. */
export function checksumsOf(
  checksums: Readonly<Record<string, string>>,
  service: string | undefined,
): Record<string, string> {
  if (service === undefined) return { ...checksums };
  const prefix = `${service}/`;
  return Object.fromEntries(
    Object.entries(checksums).flatMap(([k, v]) =>
      k.startsWith(prefix) ? [[k.slice(prefix.length), v]] : [],
    ),
  );
}

/** A service's checksums keyed as a run keeps them. */
export const underService = (
  service: string,
  checksums: Readonly<Record<string, string>>,
): Record<string, string> =>
  Object.fromEntries(Object.entries(checksums).map(([k, v]) => [serviceKey(service, k), v]));

/** The newest of a folder's migrations (in its order) that a run's checksums bind: what the run deploys up to. */
export function lastBound(
  folder: readonly { readonly id: string }[],
  checksums: Readonly<Record<string, string>>,
): string | undefined {
  return folder.filter((m) => checksums[m.id] !== undefined).at(-1)?.id;
}

/**
 * What an environment's services hold after one of their applies failed (the run stops there): each service's
 * files applied, the one that failed, and those not reached. Plain text, ids in backticks.
 */
export function describeServicesApply(
  env: string,
  services: readonly {
    service: string;
    applied: readonly string[];
    status: 'done' | 'failed' | 'not reached';
  }[],
  failure: string,
): string {
  const failed = services.find((s) => s.status === 'failed');
  const files = (ids: readonly string[]) => ids.map((id) => `\`${id}\``).join(', ');
  const went = services.filter((s) => s.applied.length).map((s) => `${s.service} (${files(s.applied)})`);
  const notReached = services.filter((s) => s.status === 'not reached').map((s) => s.service);
  return [
    `${failed?.service ?? 'A service'} failed on ${env}: ${failure}.`,
    went.length ? `Applied on ${env}: ${went.join('; ')}.` : `Nothing was applied on ${env}.`,
    notReached.length ? `Not applied: ${notReached.join(', ')} (stopped at the first failure).` : '',
  ]
    .filter(Boolean)
    .join(' ');
}
