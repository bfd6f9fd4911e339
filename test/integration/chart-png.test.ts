/**
 * The monitoring chart as a PNG (vega-lite → SVG → resvg, with the DejaVu Sans the bot ships): it decodes, has
 * the size the number of metrics gives, is not blank, shows each level's colour, and its text is drawn.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { chartPng, chartSize, chartSvg } from '../../src/chart/png.js';
import { type ChartInput, chartData } from '../../src/deploy/chart.js';
import { CHART, COLORS } from '../../src/deploy/chart-spec.js';
import { parseThreshold } from '../../src/deploy/monitoring.js';
import { exampleInput } from '../support/chart-example.js';

const rgb = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));

/** Pixels of `png` close to `hex` (within `tolerance` on each channel), in an optional box of SVG units. */
function count(
  png: PNG,
  hex: string,
  tolerance = 24,
  box?: { x0: number; y0: number; x1: number; y1: number },
) {
  const [r, g, b] = rgb(hex);
  const s = CHART.scale;
  const [x0, y0, x1, y1] = box
    ? [box.x0 * s, box.y0 * s, box.x1 * s, box.y1 * s]
    : [0, 0, png.width, png.height];
  let n = 0;
  for (let y = y0; y < y1; y++)
    for (let x = x0; x < x1; x++) {
      const i = (y * png.width + x) * 4;
      if (
        Math.abs(png.data[i]! - r!) <= tolerance &&
        Math.abs(png.data[i + 1]! - g!) <= tolerance &&
        Math.abs(png.data[i + 2]! - b!) <= tolerance
      )
        n++;
    }
  return n;
}

describe('the monitoring chart as PNG', () => {
  it('decodes, has the expected size, and is not blank', async () => {
    const data = chartData(exampleInput);
    const bytes = await chartPng(data);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const png = PNG.sync.read(bytes);
    // three panels, and a short row for the metric never measured
    expect({ width: png.width, height: png.height }).toEqual(chartSize(3, 1));
    expect(chartSize(4)).toEqual({ width: 1920, height: (64 + 4 * 190) * 2 });

    const colours = new Set<number>();
    let ink = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      colours.add(png.data.readUInt32BE(i));
      if (png.data[i]! < 240 || png.data[i + 1]! < 240 || png.data[i + 2]! < 240) ink++;
    }
    expect(colours.size).toBeGreaterThan(200);
    expect(ink / (png.width * png.height)).toBeGreaterThan(0.03);
    // The title is text only: with no font loaded this band would be white.
    expect(count(png, '#222222', 40, { x0: 10, y0: 6, x1: 400, y1: 30 })).toBeGreaterThan(300);
    // The readings' line, the warn and critical lines and points, and the alerts are each drawn in their colour.
    expect(count(png, COLORS.ok)).toBeGreaterThan(2000);
    expect(count(png, COLORS.warn)).toBeGreaterThan(500);
    expect(count(png, COLORS.critical)).toBeGreaterThan(500);
  });

  it('says only metric names, values, lines and times', async () => {
    const svg = await chartSvg(chartData(exampleInput));
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts).toEqual(
      expect.arrayContaining([
        'Run #7 · monitoring production so far',
        '12/24 checkpoints · plan two-hours · 2 alerts · times in UTC',
        'error_rate (%)',
        'warn &gt; 0.5%, critical &gt; 1% · last 0.2%, highest 1.8% · 2 alerts',
        'critical &gt; 1%',
        'warn &gt; baseline + 50%',
        'alert #3',
        'alert #4',
        'warn &gt; baseline + 20% (no baseline)',
        'no readings (not measured at any of the 12 checkpoints taken)',
        '14:30',
      ]),
    );
  });
});

/** A watch of `count` checkpoints `every` seconds apart, each metric's readings given (judged ok). */
function watch(
  every: number,
  metrics: { key: string; warn?: string; critical?: string; unit?: string }[],
  values: Record<string, number[]>,
  count = Math.max(...Object.values(values).map((v) => v.length)),
): ChartInput {
  const t0 = Date.parse('2026-03-02T10:00:00Z');
  const at = (i: number) => new Date(t0 + i * every * 1000).toISOString();
  return {
    runId: 9,
    env: 'staging',
    watching: false,
    startedAt: at(0),
    endedAt: at(count),
    metrics: metrics.map((m) => ({
      unit: m.unit ?? '',
      rule: {
        key: m.key,
        ...(m.warn ? { warn: parseThreshold(m.warn) } : {}),
        ...(m.critical ? { critical: parseThreshold(m.critical) } : {}),
        consecutive: 1,
        rollback: false,
        dryRun: false,
      },
    })),
    checkpoints: Array.from({ length: count }, (_, i) => ({
      seq: i + 1,
      status: 'done',
      dueAt: at(i + 1),
      takenAt: at(i + 1),
      judged: Object.entries(values).flatMap(([key, v]) =>
        v[i] === undefined ? [] : [{ key, value: v[i], raw: 'ok' as const, level: 'ok' as const, streak: 0 }],
      ),
    })),
    alerts: [],
    extraFrom: 100_000,
  };
}

/** Each panel's SVG inside the chart, in order. */
const panelsOf = (svg: string) => svg.split('<svg x="0" ').slice(1);
/** The x of a text's anchor, its anchor, and its y, in its panel. */
function textAt(panel: string, body: string) {
  const m = new RegExp(
    `<text[^>]*text-anchor="(\\w+)"[^>]*translate\\(([-\\d.]+),([-\\d.]+)\\)[^>]*>${body}</text>`,
  ).exec(panel);
  if (!m) throw new Error(`no text ${body}`);
  return { anchor: m[1]!, x: Number(m[2]), y: Number(m[3]) };
}
/** Where the panel's plotting area starts (its root group's translate). */
const plotLeft = (panel: string) => Number(/<g[^>]*transform="translate\(([-\d.]+),/.exec(panel)![1]);

describe('the panels of the chart', () => {
  it("line up on x: every panel's plotting area has the same left edge and width, whatever its y labels", async () => {
    const svg = await chartSvg(
      chartData(
        watch(
          300,
          [
            { key: 'tiny', critical: '> 1' },
            { key: 'rows', critical: '> 100000' },
          ],
          {
            tiny: [0.1, 0.2, 0.4, 0.3],
            rows: [12_000, 64_000, 125_000, 90_000],
          },
        ),
      ),
    );
    const panels = panelsOf(svg);
    expect(panels).toHaveLength(2);
    const [a, b] = panels.map((p) => ({ left: plotLeft(p), end: textAt(p, '10:20').x }));
    expect(b).toEqual(a);
  });

  it('put warn and critical labels of lines close together at opposite ends, so they never overlap', async () => {
    const svg = await chartSvg(
      chartData(
        watch(300, [{ key: 'mean_ms', warn: '> 10', critical: '> 10.5' }], { mean_ms: [2, 4, 40, 8] }),
      ),
    );
    const [panel] = panelsOf(svg);
    const warn = textAt(panel!, 'warn &gt; 10');
    const critical = textAt(panel!, 'critical &gt; 10.5');
    // One starts at the left end, the other ends at the right end: 11 px text is under 8 px a character.
    expect([warn.anchor, critical.anchor]).toEqual(['start', 'end']);
    expect(warn.x + 8 * 'warn > 10'.length).toBeLessThan(critical.x - 8 * 'critical > 10.5'.length);
    // and each on the side of its line away from the other: critical's above, warn's below (a line's height apart)
    expect(warn.y - critical.y).toBeGreaterThanOrEqual(11);
  });

  it('say "lowest" for a metric where low is bad, "highest" otherwise', async () => {
    const svg = await chartSvg(
      chartData(
        watch(
          300,
          [
            { key: 'free_connections', warn: '< 20', critical: '< 10' },
            { key: 'error_rate', critical: '> 1%', unit: '%' },
          ],
          { free_connections: [40, 25, 8, 30], error_rate: [0.1, 0.9, 0.2, 0.3] },
        ),
      ),
    );
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts).toContain('warn &lt; 20, critical &lt; 10 · last 30, lowest 8');
    expect(texts).toContain('critical &gt; 1% · last 0.3%, highest 0.9%');
  });

  it('draw a metric without readings as one line saying why, not an empty frame', async () => {
    const data = chartData(exampleInput);
    const svg = await chartSvg(data);
    expect(panelsOf(svg)).toHaveLength(3);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts).toContain('replication_lag_ms (ms)');
    expect(texts).toContain('warn &gt; baseline + 20% (no baseline)');
    expect(texts).toContain('no readings (not measured at any of the 12 checkpoints taken)');
    const png = PNG.sync.read(await chartPng(data));
    expect({ width: png.width, height: png.height }).toEqual(chartSize(3, 1));

    // A metric measured but never with a value says the reason its readings gave.
    const down = watch(300, [{ key: 'lag_ms', warn: '> 10' }], {}, 3);
    const gave = {
      ...down,
      checkpoints: down.checkpoints.map((c) => ({
        ...c,
        judged: [
          { key: 'lag_ms', raw: 'ok' as const, level: 'ok' as const, streak: 0, unavailable: 'no replica' },
        ],
      })),
    };
    const one = await chartSvg(chartData(gave));
    expect(panelsOf(one)).toHaveLength(0);
    expect(one).toContain('no readings (3 checkpoints gave no value: no replica)');
  });

  it('show seconds on the time axis when checkpoints are less than a minute apart, even over a long watch', async () => {
    const every30s = watch(30, [{ key: 'mean_ms', critical: '> 10' }], {
      mean_ms: Array.from({ length: 40 }, (_, i) => 2 + (i % 5)),
    });
    expect(Date.parse(every30s.endedAt!) - Date.parse(every30s.startedAt)).toBe(20 * 60_000);
    const labels = [...(await chartSvg(chartData(every30s))).matchAll(/>(\d\d:\d\d(?::\d\d)?)</g)].map(
      (m) => m[1],
    );
    expect(labels.length).toBeGreaterThan(3);
    for (const l of labels) expect(l).toMatch(/^\d\d:\d\d:\d\d$/);
    // Five minutes apart over two hours: minutes are enough.
    const every5m = [...(await chartSvg(chartData(exampleInput))).matchAll(/>(\d\d:\d\d(?::\d\d)?)</g)];
    expect(every5m.map((m) => m[1])).toContain('14:30');
  });
});
