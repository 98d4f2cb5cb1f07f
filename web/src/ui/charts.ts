import { h, svg } from '../dom.ts';

/**
 * Small charts drawn as inline SVG (no chart library: two kinds of bars are all the usage
 * view needs). Each is a `<figure>`: its caption names it, the SVG is one image with a
 * short description for screen readers, every bar carries a tooltip (`<title>`), and the
 * exact figures are in a table under it. Drawn for the width the figure has when drawn.
 */

/** An axis from 0 to a round number at or above `max`, in at most `ticks` steps of 1, 2 or 5 × 10ⁿ (never below 1). */
export const niceScale = (max: number, ticks = 4): { top: number; step: number } => {
  if (!(max > 0)) return { top: 1, step: 1 };
  const rough = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((f) => f * magnitude).find((s) => s >= rough) ?? 10 * magnitude);
  return { top: Math.ceil(max / step) * step, step };
};

/** Every `every`-th of `count` labels fits when each needs `minGap` of `width`. */
export const labelEvery = (count: number, width: number, minGap: number) => Math.max(1, Math.ceil(count / Math.max(1, Math.floor(width / minGap))));

/** Shortens a label to about `maxWidth` px (CJK characters count double), with an ellipsis. */
export const fitLabel = (label: string, maxWidth: number, charWidth = 7) => {
  let width = 0;
  for (const [i, char] of [...label].entries()) {
    width += char.charCodeAt(0) > 0xff ? 2 * charWidth : charWidth;
    if (width > maxWidth)
      return `${[...label]
        .slice(0, Math.max(1, i - 1))
        .join('')
        .trimEnd()}…`;
  }
  return label;
};

export interface Table {
  columns: string[];
  rows: string[][];
}

export interface ChartFrame {
  title: string;
  /** One sentence for screen readers: what the chart shows at a glance. */
  summary: string;
  table: Table;
}

export interface Series {
  name: string;
  values: number[];
}

export interface ColumnChart extends ChartFrame {
  /** A column per category (a day), its series stacked, in the order given. */
  categories: string[];
  categoryLabel(category: string): string;
  series: Series[];
  /** Exact figures, for tooltips; axis labels use `axisFormat`. */
  format(value: number): string;
  axisFormat(value: number): string;
}

export interface BarChart extends ChartFrame {
  /** A bar per row (a model, a user), longest first as given. */
  bars: { label: string; value: number }[];
  format(value: number): string;
}

let nextId = 0;
const FALLBACK_WIDTH = 640;
const FONT_PX = 12;

const dataTable = (table: Table) =>
  h(
    'table',
    {},
    h('thead', {}, h('tr', {}, ...table.columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...table.rows.map(([first, ...rest]) => h('tr', {}, h('th', { scope: 'row' }, first ?? ''), ...rest.map((cell) => h('td', {}, cell))))),
  );

const figure = (frame: ChartFrame, drawing: SVGSVGElement | null, legend: HTMLElement | null = null) => {
  const id = `chart-${++nextId}`;
  if (drawing) {
    drawing.setAttribute('role', 'img');
    drawing.setAttribute('aria-labelledby', `${id}-title ${id}-desc`);
    drawing.prepend(svg('desc', { id: `${id}-desc` }, frame.summary));
  }
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', { id: `${id}-title` }, frame.title),
    legend,
    drawing ?? h('p', { class: 'chart-empty muted' }, '暂无数据'),
    drawing ? h('details', { class: 'chart-table' }, h('summary', {}, '数据表'), dataTable(frame.table)) : null,
  );
};

const canvas = (width: number, height: number) => svg('svg', { class: 'chart-svg', viewBox: `0 0 ${width} ${height}`, width, height, 'font-size': FONT_PX });

/** The figure's padding and border (styles.css `.chart`), which the drawing sits inside. */
const FIGURE_INSET = 30;
const widthOf = (container: HTMLElement) => Math.max(240, (container.clientWidth || FALLBACK_WIDTH) - FIGURE_INSET);

/** Horizontal grid lines and their labels, for a plot from `top` to `bottom` px. */
const yAxis = (scale: { top: number; step: number }, left: number, right: number, top: number, bottom: number, format: (v: number) => string) => {
  const g = svg('g', { class: 'chart-axis', 'aria-hidden': 'true' });
  for (let value = 0; value <= scale.top; value += scale.step) {
    const y = bottom - ((bottom - top) * value) / scale.top;
    g.append(
      svg('line', { x1: left, x2: right, y1: y, y2: y, class: value ? 'chart-grid' : 'chart-baseline' }),
      svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, format(value)),
    );
  }
  return g;
};

const legendOf = (series: Series[]) =>
  series.length > 1
    ? h('ul', { class: 'chart-legend', 'aria-hidden': 'true' }, ...series.map((s, i) => h('li', {}, h('span', { class: `swatch series-${i}` }), s.name)))
    : null;

/** Columns over categories (days), series stacked; drawn into `container`'s width. */
export const columnChart = (container: HTMLElement, chart: ColumnChart) => {
  const totals = chart.categories.map((_, i) => chart.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  if (!totals.some((t) => t > 0)) return container.replaceChildren(figure(chart, null));
  const width = widthOf(container);
  const height = 220;
  const [left, right, top, bottom] = [56, width - 8, 10, height - 24];
  const scale = niceScale(Math.max(...totals));
  const band = (right - left) / chart.categories.length;
  const barWidth = Math.max(1, band * 0.7);
  const every = labelEvery(chart.categories.length, right - left, 48);
  const y = (value: number) => ((bottom - top) * value) / scale.top;
  const drawing = canvas(width, height);
  drawing.append(yAxis(scale, left, right, top, bottom, chart.axisFormat));
  for (const [i, category] of chart.categories.entries()) {
    const x = left + band * i + (band - barWidth) / 2;
    const detail = chart.series.map((s) => `${s.name} ${chart.format(s.values[i] ?? 0)}`).join('，');
    const column = svg('g', { class: 'chart-column' }, svg('title', {}, `${category}：${detail}`));
    let base = bottom;
    for (const [k, s] of chart.series.entries()) {
      const size = y(s.values[i] ?? 0);
      if (size > 0) column.append(svg('rect', { x, y: base - size, width: barWidth, height: size, class: `series-${k}` }));
      base -= size;
    }
    // An empty column still takes the pointer, so its tooltip shows.
    column.append(svg('rect', { x: left + band * i, y: top, width: band, height: bottom - top, class: 'chart-hit' }));
    drawing.append(column);
    if (i % every === 0) {
      drawing.append(
        svg(
          'text',
          { x: x + barWidth / 2, y: height - 6, 'text-anchor': 'middle', class: 'chart-label', 'aria-hidden': 'true' },
          chart.categoryLabel(category),
        ),
      );
    }
  }
  container.replaceChildren(figure(chart, drawing, legendOf(chart.series)));
};

/** Horizontal bars, a row each (a model, a user, a department); drawn into `container`'s width. */
export const barChart = (container: HTMLElement, chart: BarChart) => {
  if (!chart.bars.some((b) => b.value > 0)) return container.replaceChildren(figure(chart, null));
  const width = widthOf(container);
  const rowHeight = 28;
  const height = chart.bars.length * rowHeight + 4;
  const labelWidth = Math.min(160, Math.round(width * 0.3));
  const valueWidth = 96;
  const span = Math.max(20, width - labelWidth - valueWidth - 12);
  const max = Math.max(...chart.bars.map((b) => b.value));
  const drawing = canvas(width, height);
  for (const [i, bar] of chart.bars.entries()) {
    const y = i * rowHeight + 4;
    const length = (span * bar.value) / max;
    drawing.append(
      svg(
        'g',
        { class: 'chart-bar' },
        svg('title', {}, `${bar.label}：${chart.format(bar.value)}`),
        svg('text', { x: labelWidth - 8, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, fitLabel(bar.label, labelWidth - 12)),
        svg('rect', { x: labelWidth, y: y + 3, width: Math.max(bar.value > 0 ? 2 : 0, length), height: rowHeight - 10, rx: 3, class: 'series-0' }),
        svg('text', { x: labelWidth + length + 6, y: y + 15, class: 'chart-value' }, chart.format(bar.value)),
      ),
    );
  }
  container.replaceChildren(figure(chart, drawing));
};
