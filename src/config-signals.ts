/**
 * The application's own signals in deploy.yml, once its shape is valid: each environment's `urls:` read from
 * the variables they name, monitoring metrics of every source, and the URL names those metrics need.
 */

import type { z } from 'zod';
import type { fileSchema } from './config-schema.js';
import { parseChecks } from './deploy/checks.js';
import { toRequest } from './deploy/http-check.js';
import type { MetricSource } from './deploy/metrics.js';
import type { Threshold } from './deploy/monitoring.js';

/** A base URL from the environment (deploy.yml `urls:`): checks and metrics name it; only the name is shown. */
export interface EnvUrl {
  readonly url: string;
  readonly variable: string;
}

type File = z.infer<typeof fileSchema>;
type RawMetric = NonNullable<File['monitoring']>['metrics'][number];
type RawEnv = File['environments'][number];

const VAR = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/** An environment's base URLs from the variables it names; a missing or malformed one is a problem (when required). */
export function resolveUrls(
  e: RawEnv,
  i: number,
  env: Readonly<Record<string, string | undefined>>,
  required: boolean,
  problems: string[],
): Record<string, EnvUrl> | undefined {
  if (!e.urls) return undefined;
  const out: Record<string, EnvUrl> = {};
  for (const [name, ref] of Object.entries(e.urls)) {
    const variable = VAR.exec(ref)?.[1] ?? '';
    const given = env[variable];
    let ok = false;
    try {
      ok = !!given && ['http:', 'https:'].includes(new URL(given).protocol);
    } catch {
      ok = false;
    }
    if (ok) out[name] = { url: given!, variable };
    else if (required)
      problems.push(
        given
          ? `environments[${i}].urls.${name}: ${variable} must be an http:// or https:// URL (its value is not shown)`
          : `environments[${i}].urls.${name}: environment variable ${variable} is not set`,
      );
  }
  return out;
}

/** The URL names a metric reads (its request's, its Prometheus server's, its watched http check's). */
function urlsRead(m: RawMetric): string[] {
  if (m.http) return [m.http.url];
  if (m.prometheus) return [m.prometheus.server];
  if (m.check?.http) return [m.check.http.url];
  return [];
}

const upper = (s: string) => s.toUpperCase().replace(/-/g, '_');

/** How to add a URL name to an environment, as a sentence. */
export const addUrl = (env: string, name: string) =>
  `add ${name}: \${${upper(env)}_${upper(name)}_URL} to ${env}'s urls: in deploy.yml (and set that variable)`;

/**
 * Every environment that is monitored must name every URL the metrics read: its own urls:, or (with services) the
 * urls: of each service the metric watches there.
 */
export function missingUrls(file: File): string[] {
  const metrics = file.monitoring?.metrics ?? [];
  const services = file.services ?? [];
  return file.environments.flatMap((e, i) =>
    e.monitor === undefined
      ? []
      : metrics.flatMap((m, k) => {
          const what = `monitoring.metrics[${k}] (${m.name ?? m.metric}) reads the URL named`;
          const watched = services
            .map((s, j) => ({ s, j }))
            .filter(({ s }) => !m.service || s.name === m.service);
          if (!watched.length)
            return urlsRead(m)
              .filter((name) => !e.urls?.[name])
              .map(
                (name) =>
                  `environments[${i}].urls: ${what} ${name}, which ${e.name} does not define; ${addUrl(e.name, name)}`,
              );
          // With services: said at the service's entry for this environment, with its own variable to add.
          return watched.flatMap(({ s, j }) =>
            urlsRead(m)
              .filter((name) => !{ ...e.urls, ...s.environments[e.name]?.urls }[name])
              .map(
                (name) =>
                  `services[${j}].environments.${e.name}: ${what} ${name}, which ${s.name} does not define on ${e.name}; add urls: { ${name}: "\${${upper(s.name)}_${upper(e.name)}_${upper(name)}_URL}" } here (and set that variable), or ${name}: to ${e.name}'s urls: for every service`,
              ),
          );
        }),
  );
}

const unitText = (u: string | undefined, fallback: string) =>
  u === undefined ? fallback : u === '%' ? '%' : ` ${u}`;

/** A valid metric's source. */
export function metricSourceOf(m: RawMetric, k: number): MetricSource {
  const name = m.name ?? '';
  if (m.http)
    return {
      kind: 'http',
      name,
      request: toRequest(m.http),
      timeoutMs: m.http.timeout ?? 10_000,
      unit: unitText(m.unit, m.http.json === undefined ? ' ms' : ''),
    };
  if (m.prometheus)
    return {
      kind: 'prometheus',
      name,
      server: m.prometheus.server,
      query: m.prometheus.query,
      timeoutMs: m.prometheus.timeout ?? 10_000,
      unit: unitText(m.unit, ''),
    };
  if (m.check) {
    const parsed = parseChecks([m.check], `monitoring.metrics[${k}].check`);
    if (!parsed.ok) throw new Error(`a valid check did not compile: ${parsed.problems.join('; ')}`);
    return { kind: 'check', name, check: parsed.checks[0]! };
  }
  if (m.sql) return { kind: 'custom', name, sql: m.sql };
  return { kind: 'builtin', metric: m.metric!, function: m.function };
}

/** A watched check's line: critical when it fails. */
export const CHECK_FAILS: Threshold = { op: '>', value: 0, text: 'fails' };
