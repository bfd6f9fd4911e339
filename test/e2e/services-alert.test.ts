/**
 * A critical alert of one service's monitor (deploy.yml `services:`, `metrics[].service`), rolled back from the
 * alert by a person: the service that alerted is the one whose monitor failed, the others stop, and the reason
 * says what happened (user trial: community's monitor was marked failed for academy's alert, and the reason read
 * "Verification failed on production").
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/slack/mrkdwn.js';
import { clock, current, type Harness, startHarness } from '../support/harness.js';

const CARD = /^Run #\d+ · /;

describe('an alert of one service, rolled back from the alert', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      services: {
        migrations: {
          community: {
            '001_posts.sql': 'create table posts (id int primary key);\n',
            '001_posts.down.sql': 'drop table posts;\n',
          },
          academy: {
            '001_courses.sql': 'create table courses (id int primary key);\n',
            '001_courses.down.sql': 'drop table courses;\n',
          },
        },
      },
      topYaml: `monitoring:
  plans:
    short: [{ every: 1m, for: 5m }]
  metrics:
    - { name: academy_errors, service: academy, sql: "select 3", critical: "> 0" }
`,
      envYaml: { staging: '    monitor: short\n' },
    });
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  it('the alert names academy; Roll back on it fails academy’s monitor, stops community’s, and says why', async () => {
    await h.slash('release');
    await h.settle();
    clock.offsetMs = 65_000;
    await h.bot.service.tick(clock.now());
    await h.settle();
    expect(current(h.slack, /Critical on staging · academy/)).toContain('academy_errors');
    expect((await h.click(/Critical on staging · academy/, ACTIONS.rollback, 'U0REQUESTER')).status).toBe(
      200,
    );
    await h.settle();
    const card = current(h.slack, CARD);
    expect(card).toMatch(/↳ \*academy:\*.*❌ monitor/);
    expect(card).toMatch(/↳ \*community:\*.*⏭️ monitor stopped for the rollback/);
    expect(card).toContain('A critical reading on staging · academy (the alert is in the thread).');
    expect(card).not.toContain('Verification failed');
    // The report: academy's metric in academy's monitoring section only (user trial: '0 of 0 readings' rows of
    // another service's metric in every section).
    const report = h.slack.files.find((f) => f.name === 'run-1-report.md')!.content.toString('utf8');
    const section = (title: string) => report.split(title)[1]!.split('\n### ')[0]!;
    expect(section('### Monitoring on staging · academy')).toContain('academy_errors');
    expect(section('### Monitoring on staging · community')).not.toContain('academy_errors');
  });
});
