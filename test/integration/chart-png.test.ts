/**
 * The monitoring chart as a PNG (vega-lite → SVG → resvg, with the DejaVu Sans the bot ships): it decodes, has
 * the size the number of metrics gives, is not blank, shows each level's colour, and its text is drawn.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { chartPng, chartSize, chartSvg } from '../../src/chart/png.js';
import { chartData } from '../../src/deploy/chart.js';
import { CHART, COLORS } from '../../src/deploy/chart-spec.js';
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
    expect({ width: png.width, height: png.height }).toEqual(chartSize(4));
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
        'warn &gt; baseline + 20% (no baseline) · no value measured yet',
        '14:30',
      ]),
    );
  });
});
