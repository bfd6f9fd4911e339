/** deploy.yml's approvals as ordered stages: parsed, and each mistake said with its key. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../src/config.js';
import { ConfigError } from '../../src/config-error.js';
import { policyOf } from '../../src/run/policy.js';

const source = join(mkdtempSync(join(tmpdir(), 'mg-stages-')), 'deploy.yml');
const env = { PROD_DATABASE_URL: 'postgres://u:pw@h/db' };
const base = 'migrations: .\nenvironments:\n  - name: production\n    database: ${PROD_DATABASE_URL}\n';
const parse = (yaml: string) => parseDeployConfig(base + yaml, source, env);
const problems = (yaml: string): string[] => {
  try {
    parse(yaml);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

const STAGED = `    approvals:
      stages:
        - name: technical
          rules:
            - { role: dba, users: [U05, U06, U07], count: 2 }
        - name: business
          rules: [{ role: product, usergroup: S0PM }]
        - name: go/no-go
          rules: [{ role: lead, users: [U09] }]
`;

describe('deploy.yml approvals: stages', () => {
  it('reads the stages in order; the policy gives each stage its rules and the first stage gates rollbacks', () => {
    const c = parse(STAGED);
    const e = c.environments[0]!;
    expect(e.stages?.map((s) => s.name)).toEqual(['technical', 'business', 'go/no-go']);
    expect(e.approvals).toEqual([{ role: 'dba', users: ['U05', 'U06', 'U07'], count: 2 }]);
    const p = policyOf(c);
    expect(p.gated('production')).toBe(true);
    expect(p.stages?.('production')).toEqual(['technical', 'business', 'go/no-go']);
    expect(p.gate('production', 'business')).toEqual({
      env: 'production',
      stage: 'business',
      rules: [{ role: 'product', usergroup: 'S0PM', count: 1 }],
      allowSelfApproval: false,
    });
    expect(p.gate('production').rules).toEqual(e.approvals);
  });

  it('keeps a list of rules as one gate without stages', () => {
    const c = parse('    approvals:\n      - { role: dba, users: [U05] }\n');
    expect(c.environments[0]!.stages).toBeUndefined();
    expect(policyOf(c).stages?.('production')).toEqual([]);
  });

  it('says what is wrong with stages, with the key', () => {
    expect(
      problems(
        '    approvals:\n      stages:\n        - name: a\n          rules: [{ role: x, users: [U01], count: 2 }]\n        - name: a\n          rules: [{ role: y, users: [U02] }]\n',
      ),
    ).toEqual([
      'environments[0].approvals.stages[0].rules[0].count: rule "x" needs 2 approvals but lists 1 user(s): it could never pass',
      'environments[0].approvals.stages: give each stage its own name',
    ]);
    expect(problems('    approvals:\n      stage: []\n')).toEqual([
      'environments[0].approvals: write a list of rules, or stages: a list of { name, rules } (docs/configuration.md, Approvals)',
    ]);
  });
});
