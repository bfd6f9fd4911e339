/** Secrets never reach Slack, logs or reports: every outgoing string goes through here. Pure. */

const URL_CREDENTIALS = /(postgres(?:ql)?:\/\/[^:/@\s]+:)([^@\s]+)(@)/gi;
const SLACK_TOKENS = /\bx(?:ox[abpeors]|app)-[A-Za-z0-9-]{6,}/g;

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out.replace(URL_CREDENTIALS, '$1[redacted]$3').replace(SLACK_TOKENS, '[redacted]');
}

/** Redact every string inside a JSON-like value. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === 'string') return redact(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, secrets)])) as T;
  }
  return value;
}
