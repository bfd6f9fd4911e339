/**
 * One metric's panel of a monitor step's chart as a Vega-Lite spec: its readings over the watch period (a line,
 * each point coloured by the level it reached), its warn and critical lines (dashed, labelled) and its alerts
 * (vertical rules). Pure: a plain object that chart/png.ts compiles, renders to SVG and then to PNG.
 */
import type { ChartData, ChartSeries } from './chart.js';
import { fmt } from './monitoring.js';

/**
 * The picture's size in SVG units (the PNG is SCALE times larger): a header, then one panel per metric with
 * readings, and a short row (its caption and why) per metric without.
 */
export const CHART = { width: 960, header: 64, panel: 190, caption: 40, empty: 64, scale: 2 } as const;

/**
 * Each panel's plotting area sits at the same place (Vega does not size it: autosize none), so times line up
 * from panel to panel whatever the width of the y axis labels: `left` holds them (longer ones are cut with …).
 */
export const PLOT = { left: 76, right: 16, top: 6, bottom: 22 } as const;

/** The font the chart is drawn in (shipped with the bot: resvg draws no text without one). */
export const FONT = 'DejaVu Sans';

export const COLORS = { ok: '#4c78a8', warn: '#e8900c', critical: '#d62728' } as const;

const level = {
  field: 'level',
  type: 'nominal',
  scale: { domain: ['ok', 'warn', 'critical'], range: [COLORS.ok, COLORS.warn, COLORS.critical] },
  legend: null,
} as const;

/** The panel's title and what it says under it: the lines as configured, and what was not drawn. */
export function caption(s: ChartSeries): { text: string; subtitle: string } {
  const unit = s.unit.trim();
  const last = s.points.at(-1);
  // The worst reading, as the lines see it: the lowest when low is bad.
  const pick = s.lowIsBad ? Math.min : Math.max;
  const worst = s.points.reduce<number | undefined>(
    (m, p) => (m === undefined ? p.value : pick(m, p.value)),
    undefined,
  );
  const lines = s.lines.map((l) => `${l.level} ${l.text}`);
  const said = [
    lines.length || s.undrawn.length ? [...lines, ...s.undrawn].join(', ') : 'no lines',
    last
      ? `last ${fmt(last.value)}${s.unit}, ${s.lowIsBad ? 'lowest' : 'highest'} ${fmt(worst)}${s.unit}`
      : s.noReadings
        ? '' // said on its own row instead of a panel
        : 'no value measured yet',
    s.withoutValue ? `${s.withoutValue} without a value` : '',
    s.alerts.length ? `${s.alerts.length} alert${s.alerts.length === 1 ? '' : 's'}` : '',
    s.dryRun ? 'dry run: reported, never acted on' : '',
  ];
  return { text: unit ? `${s.key} (${unit})` : s.key, subtitle: said.filter(Boolean).join(' · ') };
}

/** Readings and lines all at one value have no range to draw: give them one around it (0 to 1 for zeros). */
function flat(s: ChartSeries): { domain?: [number, number] } {
  const values = [...s.points.map((p) => p.value), ...s.lines.map((l) => l.value)];
  if (!values.length || Math.min(...values) !== Math.max(...values)) return {};
  const v = values[0]!;
  return { domain: v === 0 ? [0, 1] : [v - Math.abs(v) / 2, v + Math.abs(v) / 2] };
}

/**
 * Where a line's label goes. Both lines: warn's at the left end, critical's at the right, each on the side of its
 * line away from the other line, so two lines close together never stack or cross their labels. One line: its
 * label at the right end, above it.
 */
function labelPlace(s: ChartSeries, l: ChartSeries['lines'][number]) {
  const other = s.lines.find((o) => o !== l);
  if (!other) return { end: 'right', side: 'above' } as const;
  const higher = l.value > other.value || (l.value === other.value && l.level === 'critical');
  return { end: l.level === 'warn' ? 'left' : 'right', side: higher ? 'above' : 'below' } as const;
}

export function panelSpec(chart: ChartData, s: ChartSeries): Record<string, unknown> {
  const x = {
    field: 'at',
    type: 'temporal',
    title: null,
    scale: { type: 'utc', domain: [chart.from, chart.to] },
    // A watch of a few minutes, or checkpoints less than a minute apart, need seconds to tell times apart.
    axis: { format: chart.seconds ? '%H:%M:%S' : '%H:%M', labelOverlap: true, grid: true, tickCount: 8 },
  };
  const y = {
    field: 'value',
    type: 'quantitative',
    title: null,
    scale: { zero: false, nice: true, padding: 8, ...flat(s) },
    axis: { labelLimit: PLOT.left - 10 },
  };
  const rows = [
    ...s.points.map((p) => ({ kind: 'reading', ...p })),
    ...s.lines.map((l) => {
      const { end, side } = labelPlace(s, l);
      return {
        kind: `line-${end}-${side}`,
        at: end === 'left' ? chart.from : chart.to,
        value: l.value,
        level: l.level,
        label: `${l.level} ${l.text}`,
      };
    }),
    // Alert labels alternate between two rows, so two alerts close together stay readable.
    ...s.alerts.map((a, i) => ({
      kind: 'alert',
      at: a.at,
      level: a.level,
      label: `alert #${a.id}`,
      labelY: 2 + (i % 2) * 14,
    })),
  ];
  const only = (kind: string) => ({ filter: `datum.kind === '${kind}'` });
  const layer: Record<string, unknown>[] = [
    {
      transform: [{ filter: "indexof(datum.kind, 'line') === 0" }],
      mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
      encoding: { y, color: level },
    },
    ...(['left', 'right'] as const).flatMap((end) =>
      (['above', 'below'] as const).map((side) => ({
        transform: [only(`line-${end}-${side}`)],
        mark: {
          type: 'text',
          align: end,
          baseline: side === 'above' ? 'bottom' : 'top',
          dx: end === 'left' ? 4 : -2,
          dy: side === 'above' ? -2 : 2,
          fontSize: 11,
        },
        encoding: { x, y, text: { field: 'label' }, color: level },
      })),
    ),
    {
      transform: [only('alert')],
      mark: { type: 'rule', strokeWidth: 2, opacity: 0.8 },
      encoding: { x, color: level },
    },
    {
      transform: [only('alert')],
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 11, fontWeight: 'bold' },
      encoding: {
        x,
        y: { field: 'labelY', type: 'quantitative', scale: null },
        text: { field: 'label' },
        color: level,
      },
    },
    {
      transform: [only('reading')],
      mark: { type: 'line', color: COLORS.ok, strokeWidth: 2 },
      encoding: { x, y },
    },
    {
      transform: [only('reading')],
      mark: { type: 'point', filled: true, size: 45, opacity: 1 },
      encoding: {
        x,
        y,
        color: level,
        shape: {
          field: 'onDemand',
          type: 'nominal',
          legend: null,
          scale: { domain: [false, true], range: ['circle', 'diamond'] },
        },
      },
    },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART.width - PLOT.left - PLOT.right,
    height: CHART.panel - CHART.caption - PLOT.top - PLOT.bottom,
    autosize: { type: 'none' },
    padding: PLOT,
    background: 'white',
    config: { font: FONT, view: { stroke: '#ddd' }, axis: { labelFontSize: 11, gridColor: '#eee' } },
    data: { values: rows.length ? rows : [{ kind: 'none' }] },
    layer,
  };
}
