/**
 * A monitor step's chart as a PNG, with nothing native to build and nothing to download: each metric's panel is
 * compiled by Vega-Lite and rendered to SVG by Vega's headless View (renderer 'none', no canvas), the panels are
 * stacked under a header in one SVG, and @resvg/resvg-js turns it into PNG with the DejaVu Sans font the bot ships
 * (npm dejavu-fonts-ttf; system fonts are never read, so the picture is the same on every machine).
 */
import { createRequire } from 'node:module';
import { renderAsync } from '@resvg/resvg-js';
import { logger, None, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ChartData } from '../deploy/chart.js';
import { CHART, caption, FONT, panelSpec } from '../deploy/chart-spec.js';

const require = createRequire(import.meta.url);
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) =>
  require.resolve(`dejavu-fonts-ttf/ttf/${f}`),
);

const xml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);

/** A Vega-Lite spec rendered to SVG by Vega's headless View. */
export async function svgOf(spec: Record<string, unknown>): Promise<string> {
  const quiet = logger(None);
  const compiled = compile(spec as unknown as TopLevelSpec, { logger: quiet }).spec;
  const view = new View(parse(compiled), { renderer: 'none', logLevel: None });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The inside of a rendered SVG placed at `y` in the stacked picture; ids made unique to the panel (Vega numbers
 * its clip paths per view, so two panels could otherwise share one).
 */
function placed(svg: string, y: number, prefix: string): string {
  const height = CHART.panel - CHART.caption;
  const open = /^<svg\b[^>]*>/.exec(svg);
  if (!open || !svg.endsWith('</svg>'))
    throw new Error('Vega gave back something that is not an SVG document.');
  const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(open[0])?.[1];
  const inner = svg
    .slice(open[0].length, -'</svg>'.length)
    .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
  const viewBox = attr('viewBox') ?? `0 0 ${attr('width')} ${attr('height')}`;
  return `<svg x="0" y="${y}" width="${CHART.width}" height="${height}" viewBox="${viewBox}">${inner}</svg>`;
}

/** The body's height in SVG units: a panel per metric with readings, a short row per metric without. */
const bodyHeight = (panels: number, empty: number) =>
  panels + empty ? panels * CHART.panel + empty * CHART.empty : CHART.panel;

/** The picture's size in pixels for `panels` metrics with readings and `empty` without. */
export const chartSize = (panels: number, empty = 0) => ({
  width: CHART.width * CHART.scale,
  height: (CHART.header + bodyHeight(panels, empty)) * CHART.scale,
});

/**
 * The whole chart as one SVG: a header (title, what it shows), then one panel per metric; a metric with no
 * reading to draw gets its caption and a line saying why instead of an empty frame.
 */
export async function chartSvg(chart: ChartData): Promise<string> {
  const panels = new Map<number, string>();
  for (const [i, s] of chart.series.entries())
    if (s.points.length) panels.set(i, await svgOf(panelSpec(chart, s)));
  const { width, header } = CHART;
  const height = header + bodyHeight(panels.size, chart.series.length - panels.size);
  const text = (x: number, y: number, size: number, body: string, extra = '') =>
    `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${size}"${extra}>${xml(body)}</text>`;
  // The legend, right-aligned on the subtitle's row: a symbol and its word each.
  const dot = (fill: string) => (x: number) => `<circle cx="${x + 4}" cy="44" r="4" fill="${fill}"/>`;
  const keys: [symbol: (x: number) => string, word: string, w: number][] = [
    [dot('#4c78a8'), 'ok', 34],
    [dot('#e8900c'), 'warn', 46],
    [dot('#d62728'), 'critical', 62],
    [
      (x) => `<line x1="${x}" y1="44" x2="${x + 20}" y2="44" stroke="#555" stroke-dasharray="6 4"/>`,
      'line',
      56,
    ],
    [
      (x) => `<line x1="${x + 2}" y1="36" x2="${x + 2}" y2="52" stroke="#d62728" stroke-width="2"/>`,
      'alert',
      48,
    ],
    [(x) => `<path d="M ${x + 4} 40 l 4 4 l -4 4 l -4 -4 z" fill="#4c78a8"/>`, 'on command', 84],
  ];
  let at = width - 16 - keys.reduce((n, k) => n + k[2], 0);
  const legend = keys.map(([symbol, word, w]) => {
    const drawn = symbol(at) + text(at + (word === 'line' ? 24 : 11), 48, 11, word);
    at += w;
    return drawn;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    text(12, 24, 17, chart.title, ' font-weight="bold" fill="#222"'),
    text(12, 48, 12, chart.subtitle, ' fill="#555"'),
    ...legend,
    ...rows(chart, panels).flatMap(({ top, index, panel }) => {
      // Each metric: its name and its lines in words, then the plot (or why there is none).
      const s = chart.series[index]!;
      const { text: name, subtitle } = caption(s);
      return [
        text(12, top + 16, 14, name, ' font-weight="bold" fill="#222"'),
        text(12, top + 32, 11, subtitle, ' fill="#555"'),
        panel
          ? placed(panel, top + CHART.caption, `p${index}-`)
          : text(12, top + 52, 12, `no readings (${s.noReadings ?? 'none'})`, ' fill="#666"'),
      ];
    }),
    chart.series.length ? '' : text(12, header + 40, 13, 'No metric is monitored.', ' fill="#666"'),
    '</svg>',
  ].join('');
}

/** Where each metric's row starts, with its rendered panel when it has one. */
function rows(chart: ChartData, panels: ReadonlyMap<number, string>) {
  let top = CHART.header;
  return chart.series.map((_, index) => {
    const panel = panels.get(index);
    const row = { top, index, panel };
    top += panel ? CHART.panel : CHART.empty;
    return row;
  });
}

/** The chart as PNG bytes, CHART.scale times the SVG's size. */
export async function chartPng(chart: ChartData): Promise<Buffer> {
  const svg = await chartSvg(chart);
  // Drawn off the event loop (libuv's pool): the bot keeps answering Slack meanwhile.
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: CHART.scale },
    background: 'white',
    font: {
      fontFiles: FONT_FILES,
      loadSystemFonts: false,
      defaultFontFamily: FONT,
      sansSerifFamily: FONT,
    },
  });
  return image.asPng();
}
