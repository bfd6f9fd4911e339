/**
 * deploy.yml's `notify:` and `after:` once their shape is valid (docs/after.md): channels with what they hear, and
 * each action with its URL, secret or token read from the variables it names. GitHub's API is GITHUB_API_URL
 * (default https://api.github.com).
 */
import type { z } from 'zod';
import type { fileSchema } from './config-schema.js';
import { type AfterRule, NOTICE_KINDS, type NotifyTarget } from './deploy/after-rules.js';

type File = z.infer<typeof fileSchema>;
type RawEnv = File['environments'][number];
type RawNotify = NonNullable<File['notify']>;

export interface WebhookDo {
  readonly kind: 'webhook';
  readonly url: string;
  readonly urlVar: string;
  readonly secret: string;
  readonly secretVar: string;
}

export interface MergeDo {
  readonly kind: 'merge';
  /** owner/name. */
  readonly repository: string;
  readonly number: number;
  readonly method: 'merge' | 'squash' | 'rebase';
  readonly token: string;
  readonly tokenVar: string;
  readonly apiUrl: string;
}

export interface AfterAction extends AfterRule {
  readonly do: WebhookDo | MergeDo;
  /** Attempts after the first when there is no answer or the answer is a fault of the other side (5xx). */
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly timeoutMs: number;
}

const VAR = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;
export const GITHUB_API = 'https://api.github.com';

export function resolveNotify(raw: RawNotify | undefined): NotifyTarget[] | undefined {
  return raw?.map((n) =>
    typeof n === 'string'
      ? { channel: n, on: NOTICE_KINDS }
      : { channel: n.channel, on: n.on ?? NOTICE_KINDS },
  );
}

const isHttpUrl = (v: string | undefined) => {
  try {
    return !!v && ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
};

/** An environment's after: actions; a variable that is missing or wrong is a problem (when `required`). */
export function resolveAfter(
  e: RawEnv,
  i: number,
  env: Readonly<Record<string, string | undefined>>,
  required: boolean,
  problems: string[],
): AfterAction[] | undefined {
  if (!e.after) return undefined;
  const read = (ref: string, path: string, url = false): { value: string; variable: string } => {
    const variable = VAR.exec(ref)?.[1] ?? '';
    const value = env[variable] ?? '';
    if (required && !value) problems.push(`${path}: environment variable ${variable} is not set`);
    else if (required && url && !isHttpUrl(value))
      problems.push(`${path}: ${variable} must be an http:// or https:// URL (its value is not shown)`);
    return { value, variable };
  };
  const apiUrl = env.GITHUB_API_URL || GITHUB_API;
  return e.after.map((a, k) => {
    const at = `environments[${i}].after[${k}]`;
    if (a.gate && !(Array.isArray(e.approvals) ? e.approvals.length : e.approvals))
      problems.push(
        `${at}.gate: this environment has no approvals: to approve the action with (add approvals, or drop gate: true)`,
      );
    let action: WebhookDo | MergeDo;
    if (a.webhook) {
      const url = read(a.webhook.url, `${at}.webhook.url`, true);
      const secret = read(a.webhook.secret, `${at}.webhook.secret`);
      action = {
        kind: 'webhook',
        url: url.value,
        urlVar: url.variable,
        secret: secret.value,
        secretVar: secret.variable,
      };
    } else {
      const m = a.mergePullRequest!;
      const token = read(m.token, `${at}.mergePullRequest.token`);
      if (required && !isHttpUrl(apiUrl))
        problems.push(`${at}.mergePullRequest: GITHUB_API_URL must be an http:// or https:// URL`);
      action = {
        kind: 'merge',
        repository: m.repository,
        number: m.number,
        method: m.method,
        token: token.value,
        tokenVar: token.variable,
        apiUrl,
      };
    }
    const label =
      a.name ??
      (action.kind === 'webhook'
        ? `webhook ${action.urlVar}`
        : `merge ${action.repository}#${action.number}`);
    return {
      on: a.on,
      gate: a.gate,
      label,
      do: action,
      retries: a.retries,
      retryBackoffMs: a.retryBackoff,
      timeoutMs: a.timeout,
    };
  });
}

/** The values an environment's actions hold that must never be shown: URLs (and their hosts), secrets, tokens. */
export function afterSecrets(actions: readonly AfterAction[] | undefined): string[] {
  return (actions ?? []).flatMap((a) => {
    if (a.do.kind === 'merge') return [a.do.token];
    const out = [a.do.url, a.do.secret];
    try {
      const u = new URL(a.do.url);
      out.push(u.origin, u.host);
      if (u.password) out.push(decodeURIComponent(u.password), u.password);
    } catch {
      /* config.ts admits only URLs here */
    }
    return out;
  });
}
