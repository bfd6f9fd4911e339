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
