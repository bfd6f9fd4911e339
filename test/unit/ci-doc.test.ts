/** docs/ci.md's GitHub Actions workflows run real commands: each `migration-gate.js` call names a command and options the CLI has. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LINT_USAGE } from '../../src/cli-lint.js';
import { PLAN_USAGE } from '../../src/cli-plan.js';
import { STATUS_USAGE } from '../../src/cli-status.js';

const DOC = readFileSync(join(import.meta.dirname, '../../docs/ci.md'), 'utf8');
const USAGES: Record<string, string> = { lint: LINT_USAGE, plan: PLAN_USAGE, status: STATUS_USAGE };

/** Every `run:` of every job in every yaml block of the page. */
function runs(): string[] {
  const blocks = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((text) => {
    const doc = parse(text) as { jobs?: Record<string, { steps: { run?: string }[] }> } & Record<
      string,
      unknown
    >;
    // The second block is a job on its own (the service-container variant of `plan`).
    const jobs = doc.jobs ?? (doc as Record<string, { steps: { run?: string }[] }>);
    return Object.values(jobs).flatMap((job) => job.steps.flatMap((s) => (s.run ? [s.run] : [])));
  });
}

describe('docs/ci.md workflows', () => {
  it('parse as YAML and run lint and plan', () => {
    const calls = runs().flatMap((r) => r.split('\n').filter((l) => l.includes('migration-gate.js')));
    expect(calls.map((c) => c.split(/\s+/)[2])).toEqual(['lint', 'plan', 'plan']);
  });

  it('use only options each command has', () => {
    for (const line of runs().flatMap((r) => r.split('\n').filter((l) => l.includes('migration-gate.js')))) {
      const words = line.split('|')[0]!.trim().split(/\s+/);
      const command = words[2]!;
      expect(USAGES[command], line).toBeDefined();
      for (const flag of words.filter((w) => w.startsWith('--')))
        expect(USAGES[command], line).toContain(flag);
      if (command === 'plan') expect(words, line).toContain('--env');
    }
  });
});
