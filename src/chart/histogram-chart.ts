/**
 * A histogram on logarithmic axes: x, since a latency's spread is relative and a tail of ten
 * times the median must fit beside it; y, since the few packets of that tail would not show
 * beside the million of the mode. One bar a bin, from its lower to its upper edge, and dashed
 * vertical markers (percentiles) labelled at the top.
 */
import { el, type Markup } from './markup.js';
import { GREY, svg, xAxis, yAxis, type Area } from './plot.js';
import { logScale } from './scale.js';

export interface Bin {
  from: number;
  to: number;
  count: number;
  /** The bar's tooltip. */
  tip: string;
}

export interface Marker {
  at: number;
  label: string;
}

export interface HistogramSpec {
  title: string;
  x: { title: string; format: (value: number) => string };
  y: { title: string; format: (value: number) => string };
  /** In order, more than 0, not overlapping. */
  bins: Bin[];
  markers?: Marker[];
  color: string;
  width?: number;
  height?: number;
}

export function histogramChart(spec: HistogramSpec): Markup {
  const width = spec.width ?? 1000;
  const height = spec.height ?? 300;
  // Room above the plot for the markers' labels, one row each so that close ones do not collide.
  const markers = spec.markers ?? [];
  const area: Area = { left: 86, top: 40 + 14 * markers.length, right: width - 24, bottom: height - 44 };
  const lo = Math.min(...spec.bins.map((b) => b.from), ...markers.map((m) => m.at));
  const hi = Math.max(...spec.bins.map((b) => b.to), ...markers.map((m) => m.at));
  const x = logScale(lo, hi, [area.left, area.right]);
  const counts = spec.bins.map((b) => b.count);
  // The axis starts half a step below the smallest count, so a bin of one packet still has a bar.
  const y = logScale(Math.min(...counts) / 2, Math.max(...counts), [area.bottom, area.top]);
  return svg(
    { width, height, title: spec.title },
    yAxis(area, { scale: y, ...spec.y }),
    xAxis(area, { scale: x, ...spec.x }, height),
    el(
      'g',
      { class: 'bins' },
      spec.bins.map((bin) => {
        const left = x.map(bin.from);
        return el(
          'rect',
          { class: 'bar', x: left, y: y.map(bin.count), width: Math.max(x.map(bin.to) - left, 1), height: area.bottom - y.map(bin.count), fill: spec.color },
          el('title', {}, bin.tip),
        );
      }),
    ),
    markers.map((marker, row) => {
      const at = x.map(marker.at);
      const labelY = 16 + 14 * row;
      return el(
        'g',
        { class: 'marker' },
        el('title', {}, marker.label),
        el('line', { x1: at, x2: at, y1: labelY + 3, y2: area.bottom, stroke: GREY, 'stroke-dasharray': '4 3' }),
        el('text', { x: at + 3, y: labelY, 'font-size': 11, 'text-anchor': at > area.right - 120 ? 'end' : 'start' }, marker.label),
      );
    }),
  );
}
