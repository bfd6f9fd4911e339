/** How deploy.yml and the environment report what is wrong: every problem at once, each with its path. */
import type { ZodError } from 'zod';

/**
 * Raised when deploy.yml or the environment is wrong; `problems` lists every one, each with its path, and
 * `located` the same lines as shown (deploy.yml's start with file:line:column, see config-locate.ts).
 */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
    readonly located: string[] = problems,
  ) {
    super(`${source} is not valid:\n${located.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );
}

/** zod's issues as "path: message" lines, the path written like environments[0].name. */
export function zodProblems(error: ZodError): string[] {
  return error.issues.map((i) => {
    const path = formatPath(i.path) || '(top level)';
    if (i.code === 'unrecognized_keys')
      return `${path}: unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path}: ${i.message}`;
  });
}
