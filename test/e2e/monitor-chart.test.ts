/**
 * The monitoring chart end to end: `watch #run` uploads the chart so far to the run's thread, and the end of the
 * monitor step uploads the chart of the whole watch, before the report. Both are PNGs that decode, with the
 * size the metrics give, drawn in the colours of what happened (a critical reading and its alert in red).
 */
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chartSize } from '../../src/chart/png.js';
import { COLORS } from '../../src/deploy/chart-spec.js';
import { CHANNEL, clock, current, ephemerals, type Harness, startHarness } from '../support/harness.js';
import { query } from '../support/pg.js';

const MIN = 60_000;
const MONITORING = `monitoring:
  plans:
    three: [{ every: 1m, for: 3m }]
  metrics:
    - { metric: deadlocks, critical: "> 0" }
    - { name: queue_depth, sql: "select count(*) from queue_items", warn: "> 2", critical: "> 5" }
`;
/** Pixels drawn in the critical colour (its readings, its line and its alerts). */
const reds = (png: PNG) => {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(COLORS.critical.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4)
    if (
      Math.abs(png.data[i]! - r!) < 20 &&
      Math.abs(png.data[i + 1]! - g!) < 20 &&
      Math.abs(png.data[i + 2]! - b!) < 20
    )
      n++;
  return n;
};

describe('the monitoring chart in the thread', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      topYaml: MONITORING,
      migrations: { '001_queue.sql': 'create table queue_items (id int);\n' },
      envYaml: { staging: '    monitor: three\n' },
    });
  });
  afterAll(async () => h?.stop());
  afterEach(() => {
    clock.offsetMs = 0;
  });

  const charts = () => h.slack.files.filter((f) => f.name === 'run-1-monitoring-staging.png');
  const tick = async (minutes: number) => {
    clock.offsetMs = minutes * MIN + 5000;
    await h.bot.service.tick(clock.now());
    await h.settle();
  };

  it('is uploaded on `watch #1` and when the monitor step ends, before the report', async () => {
    await h.slash('001');
    await h.settle();
    const card = h.slack.messages.find((m) => !m.threadTs)!;

    // Before the first reading there is nothing to draw: watch shows the figures only.
    await h.slash('watch #1');
    await h.settle();
    expect(ephemerals(h.slack).at(-1)).toContain('Monitoring staging');
    expect(charts()).toHaveLength(0);

    await query(h.targets.staging!, 'insert into queue_items select generate_series(1, 9)');
    await tick(1);
    await h.slash('watch #1');
    await h.settle();
    expect(charts()).toHaveLength(1);
    const sofar = charts()[0]!;
    expect(sofar).toMatchObject({
      channel: CHANNEL,
      threadTs: card.ts,
      filetype: 'png',
      mimetype: 'image/png',
    });
    const shared = h.slack.messages.find((m) => m.files?.some((f) => f.id === sofar.id))!;
    expect(shared).toMatchObject({
      threadTs: card.ts,
      text: 'How each metric of staging moved so far, against its warn and critical lines (alerts marked).',
    });
    const first = PNG.sync.read(sofar.content);
    expect({ width: first.width, height: first.height }).toEqual(chartSize(2));
    // queue_depth 9 is over its critical line: its point, its line and its alert are drawn in red.
    expect(reds(first)).toBeGreaterThan(300);

    await query(h.targets.staging!, 'delete from queue_items');
    await tick(2);
    await tick(3);
    expect(current(h.slack, /^Run #1 · /)).toContain('Succeeded');
    expect(charts()).toHaveLength(2);
    const whole = charts()[1]!;
    expect(whole.threadTs).toBe(card.ts);
    const ended = h.slack.messages.find((m) => m.files?.some((f) => f.id === whole.id))!;
    expect(ended.text).toBe(
      'How each metric of staging moved over its watch, against its warn and critical lines (alerts marked).',
    );
    const report = h.slack.messages.find((m) => m.text.startsWith('Run #1 report'))!;
    expect(ended.ts < report.ts).toBe(true);
    const png = PNG.sync.read(whole.content);
    expect({ width: png.width, height: png.height }).toEqual(chartSize(2));
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(100);
    expect(reds(png)).toBeGreaterThan(300);

    // A finished run's watch draws the whole watch again, on request.
    await h.slash('watch #1');
    await h.settle();
    expect(charts()).toHaveLength(3);
  });
});
