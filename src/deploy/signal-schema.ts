/**
 * deploy.yml's keys for the application's own signals (zod): an environment's `urls:`, and the monitoring
 * metrics read from outside PostgreSQL (`http:`, `prometheus:`), a watched check (`check:`), `down:` and `unit:`.
 * config-schema.ts spreads these into its shapes. Pure.
 */
import { z } from 'zod';
import { checkSchema } from './check-schema.js';
import { durationMs, httpMetricSchema, URL_NAME, urlName } from './http-check.js';

const ENV_VAR = /^\$\{[A-Z_][A-Z0-9_]*\}$/;

/** `urls: { community: ${STAGING_COMMUNITY_URL}, prometheus: ${STAGING_PROMETHEUS_URL} }`: names checks use. */
export const urlsSchema = z
  .record(z.string(), z.unknown(), {
    error: 'write urls as name: ${ENV_VAR} pairs, e.g. { community: ${STAGING_COMMUNITY_URL} }',
  })
  .superRefine((urls, ctx) => {
    for (const [name, value] of Object.entries(urls)) {
      if (!URL_NAME.test(name))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `"${name}" is not a URL name; use lowercase letters, digits, - and _ (like community)`,
        });
      else if (typeof value !== 'string' || !ENV_VAR.test(value))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message:
            'write ${ENV_VAR} and put the URL in that environment variable (hosts never go in deploy.yml or Slack)',
        });
    }
  })
  .transform((urls) => urls as Record<string, string>);

export const prometheusSchema = z.strictObject({
  server: urlName,
  query: z.string({ error: 'the PromQL query, e.g. sum(rate(http_requests_total[5m]))' }).min(1),
  timeout: durationMs.optional(),
});

/** The keys a monitoring metric gets for these sources (spread into config-schema.ts's metric shape). */
export const metricSourceShape = {
  http: httpMetricSchema.optional(),
  prometheus: prometheusSchema.optional(),
  check: checkSchema.optional(),
  unit: z
    .string()
    .regex(/^\S{1,12}$/, 'a short unit like ms, %, req/s')
    .optional(),
  down: z.int().min(1).max(100).optional(),
};

interface SourceKeys {
  metric?: unknown;
  sql?: unknown;
  name?: string;
  warn?: unknown;
  critical?: unknown;
  unit?: string;
  http?: unknown;
  prometheus?: unknown;
  check?: z.infer<typeof checkSchema>;
}

/** Exactly one source; a name where it needs one; what a watched check may be. */
export function metricSourceProblems(m: SourceKeys, ctx: z.RefinementCtx): void {
  const given = (['metric', 'sql', 'http', 'prometheus', 'check'] as const).filter((k) => m[k] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        'give either metric: (a built-in) or name: and sql: (a custom metric), or name: with one of http:, prometheus: or check:',
    });
    return;
  }
  const kind = given[0]!;
  if (kind !== 'metric' && !m.name)
    ctx.addIssue({
      code: 'custom',
      path: ['name'],
      message: kind === 'sql' ? 'a custom metric needs a name' : `a ${kind} metric needs a name`,
    });
  if (m.unit !== undefined && kind !== 'http' && kind !== 'prometheus')
    ctx.addIssue({
      code: 'custom',
      path: ['unit'],
      message: 'unit: is for http and prometheus metrics (the others have their own)',
    });
  const c = m.check;
  if (!c) return;
  if (m.warn !== undefined || m.critical !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: [m.critical !== undefined ? 'critical' : 'warn'],
      message: 'a watched check is critical when it fails: leave out warn: and critical:',
    });
  const writing =
    c.writes ||
    c.concurrent !== undefined ||
    c.rows_unchanged !== undefined ||
    (c.http !== undefined && !['GET', 'HEAD'].includes(c.http.method));
  if (writing)
    ctx.addIssue({
      code: 'custom',
      path: ['check'],
      message:
        'a watched check runs at every checkpoint and must not write: use a read-only one (not writes: true, concurrent, rows_unchanged, or an http method other than GET or HEAD)',
    });
}
