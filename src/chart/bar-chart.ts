/**
 * A horizontal bar chart: one group of bars a category (a template, a benchmark case), one bar
 * a series in each group, an optional whisker over a bar's range (min to max of runs), the
 * value written at the end of each bar. Horizontal, so long category names stay readable.
 */
import { el, fragment, type Markup } from './markup.js';
import { CHAR_WIDTH, legend, svg, xAxis, type Area, type LegendItem } from './plot.js';
import { linearScale } from './scale.js';

export interface Bar {
  value: number;
  /** The bar's tooltip. */
  tip: string;
  /** A range drawn as a whisker over the bar. */
  low?: number;
  high?: number;
}

export interface BarGroup {
  label: string;
  /** One a series, in the series' order; undefined where a series has no bar here. */
  bars: (Bar | undefined)[];
}

export interface BarChartSpec {
  title: string;
  value: { title: string; format: (value: number) => string };
  series: LegendItem[];
  groups: BarGroup[];
  width?: number;
  standalone?: boolean;
}

const BAR = 14;
const LABEL_MAX_CHARS = 50;

/** A label cut to `max` characters, with an ellipsis where it was cut. */
function shortened(label: string, max: number): string {
  return label.length <= max ? label : `${label.slice(0, max - 1)}…`;
}

/** Where the bars go: the plot area, the height of a group's band, the chart's size. */
function layout(spec: BarChartSpec): { area: Area; band: number; width: number; height: number } {
  const width = spec.width ?? 1000;
  const labelChars = Math.min(LABEL_MAX_CHARS, Math.max(...spec.groups.map((g) => g.label.length), 4));
  const band = spec.series.length * (BAR + 2) + 10;
  const top = spec.series.length > 1 ? 36 : 12;
  const area: Area = { left: labelChars * CHAR_WIDTH + 16, top, right: width - 76, bottom: top + spec.groups.length * band };
  return { area, band, width, height: area.bottom + 44 };
}

/** How tall the chart of `spec` is (it grows with the groups), for stacking charts. */
export function barChartHeight(spec: BarChartSpec): number {
  return layout(spec).height;
}

export function barChart(spec: BarChartSpec): Markup {
  const { area, band, width, height } = layout(spec);
  const bars = spec.groups.flatMap((g) => g.bars.filter((b): b is Bar => b !== undefined));
  const x = linearScale(0, Math.max(0, ...bars.map((b) => Math.max(b.value, b.high ?? 0))), [area.left, area.right], 6);
  return svg(
    { width, height, title: spec.title, standalone: spec.standalone },
    xAxis(area, { scale: x, ...spec.value }, height),
    spec.groups.map((group, g) => {
      const bandTop = area.top + g * band + 5;
      return el(
        'g',
        { class: 'group' },
        el('title', {}, group.label),
        el('text', { x: area.left - 8, y: bandTop + (band - 10) / 2 + 4, 'text-anchor': 'end' }, shortened(group.label, LABEL_MAX_CHARS)),
        group.bars.map((bar, s) => {
          if (bar === undefined) return null;
          const y = bandTop + s * (BAR + 2);
          const end = x.map(bar.value);
          const mid = y + BAR / 2;
          const whisker =
            bar.low !== undefined && bar.high !== undefined
              ? fragment(
                  el('line', { x1: x.map(bar.low), x2: x.map(bar.high), y1: mid, y2: mid, stroke: '#000000' }),
                  [bar.low, bar.high].map((v) => el('line', { x1: x.map(v), x2: x.map(v), y1: mid - 4, y2: mid + 4, stroke: '#000000' })),
                )
              : null;
          return fragment(
            el('rect', { class: 'bar', x: area.left, y, width: Math.max(end - area.left, 0.5), height: BAR, fill: spec.series[s]?.color }, el('title', {}, bar.tip)),
            whisker,
            el('text', { x: x.map(Math.max(bar.value, bar.high ?? 0)) + 4, y: mid + 4, 'font-size': 11 }, spec.value.format(bar.value)),
          );
        }),
      );
    }),
    spec.series.length > 1 && legend(spec.series, area.right, 18),
  );
}
