/**
 * A line chart: one or more series over a linear x axis (time), each point a marker whose
 * tooltip says what it is, and horizontal reference lines (a target rate).
 */
import { el, num, type Markup } from './markup.js';
import { GREY, legend, svg, xAxis, yAxis, type Area } from './plot.js';
import { linearScale } from './scale.js';

export interface Point {
  x: number;
  y: number;
  /** The marker's tooltip. */
  tip: string;
}

export interface Series {
  label: string;
  color: string;
  points: Point[];
  /** Open markers and a thinner line, so that a series drawn over another lets it show. */
  open?: boolean;
}

export interface Reference {
  label: string;
  y: number;
}

export interface LineChartSpec {
  title: string;
  x: { title: string; format: (value: number) => string };
  y: { title: string; format: (value: number) => string };
  series: Series[];
  references?: Reference[];
  width?: number;
  height?: number;
  standalone?: boolean;
}

// Past this many points a series is drawn as a line alone: markers would hide it.
const MAX_MARKERS = 600;
// More points than the plot has pixels only make the file larger (an hour sampled every 100 ms
// is 36,000): past this, each run of points is drawn as its lowest and its highest, in order,
// so a spike still shows.
const MAX_POINTS = 2000;

export function decimated(points: Point[]): Point[] {
  if (points.length <= MAX_POINTS) return points;
  const run = Math.ceil(points.length / (MAX_POINTS / 2));
  const kept: Point[] = [];
  for (let i = 0; i < points.length; i += run) {
    const part = points.slice(i, i + run);
    const low = part.reduce((a, b) => (b.y < a.y ? b : a));
    const high = part.reduce((a, b) => (b.y > a.y ? b : a));
    kept.push(...(low === high ? [low] : low.x <= high.x ? [low, high] : [high, low]));
  }
  return kept;
}

export function lineChart(spec: LineChartSpec): Markup {
  const width = spec.width ?? 1000;
  const height = spec.height ?? 300;
  const area: Area = { left: 86, top: 40, right: width - 16, bottom: height - 44 };
  const series = spec.series.filter((s) => s.points.length > 0).map((s) => ({ ...s, points: decimated(s.points) }));
  const references = spec.references ?? [];
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = [...series.flatMap((s) => s.points.map((p) => p.y)), ...references.map((r) => r.y)];
  const x = linearScale(Math.min(0, ...xs), Math.max(0, ...xs), [area.left, area.right], 8);
  const y = linearScale(Math.min(0, ...ys), Math.max(0, ...ys), [area.bottom, area.top], 5);
  return svg(
    { width, height, title: spec.title, standalone: spec.standalone },
    yAxis(area, { scale: y, ...spec.y }),
    xAxis(area, { scale: x, ...spec.x }, height),
    references.map((r) =>
      el('line', { x1: area.left, x2: area.right, y1: y.map(r.y), y2: y.map(r.y), stroke: GREY, 'stroke-width': 1.5, 'stroke-dasharray': '6 4' }, el('title', {}, r.label)),
    ),
    series.map((s) =>
      el(
        'g',
        { class: 'series' },
        el('title', {}, s.label),
        el('polyline', {
          points: s.points.map((p) => `${num(x.map(p.x))},${num(y.map(p.y))}`).join(' '),
          fill: 'none',
          stroke: s.color,
          'stroke-width': s.open ? 1.5 : 2,
          'stroke-linejoin': 'round',
        }),
        s.points.length <= MAX_MARKERS &&
          s.points.map((p) =>
            el('circle', { cx: x.map(p.x), cy: y.map(p.y), r: s.open ? 4.5 : 3.5, fill: s.open ? 'none' : s.color, stroke: s.open ? s.color : undefined, 'stroke-width': s.open ? 2 : undefined }, el('title', {}, p.tip)),
          ),
      ),
    ),
    legend([...series.map((s) => ({ label: s.label, color: s.color })), ...references.map((r) => ({ label: r.label, color: GREY, dashed: true }))], area.right, 18),
  );
}
