/**
 * What every chart shares: the SVG element around it, the plot area, axes with their ticks,
 * grid lines and titles, a legend, and the colours. Styling is in attributes, not CSS, so a
 * chart looks the same inline in the report and as a standalone .svg file.
 */
import { el, fragment, type Child, type Markup } from './markup.js';
import type { Scale } from './scale.js';

/** Okabe and Ito's colours, told apart with any colour vision; charts take them in order. */
export const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#e69f00', '#cc79a7', '#56b4e9'] as const;
/** Reference lines (a target) and grid. */
export const GREY = '#777777';
const GRID = '#e4e4e4';
const INK = '#222222';

const FONT_SIZE = 12;
/** Roughly how wide a character of the chart font is, for laying out labels. */
export const CHAR_WIDTH = 7;

/** The plot area inside the SVG, in pixels. */
export interface Area {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface Axis {
  scale: Scale;
  title: string;
  format: (value: number) => string;
}

export interface ChartFrame {
  width: number;
  height: number;
  /** The chart's name: its accessible name and, in a standalone file, its heading. */
  title: string;
  /** A standalone .svg file needs the SVG namespace; SVG inline in HTML does not. */
  standalone?: boolean;
}

export function svg(frame: ChartFrame, ...children: Child[]): Markup {
  return el(
    'svg',
    {
      xmlns: frame.standalone ? 'http://www.w3.org/2000/svg' : undefined,
      viewBox: `0 0 ${frame.width} ${frame.height}`,
      width: frame.width,
      height: frame.height,
      role: 'img',
      'font-family': 'system-ui, sans-serif',
      'font-size': FONT_SIZE,
      fill: INK,
    },
    el('title', {}, frame.title),
    frame.standalone && el('rect', { width: frame.width, height: frame.height, fill: '#ffffff' }),
    ...children,
  );
}

/** The y axis: grid lines across the area at each tick, labels on the left, the title above it. */
export function yAxis(area: Area, axis: Axis): Markup {
  return fragment(
    axis.scale.ticks.map((tick) => {
      const y = axis.scale.map(tick);
      return fragment(
        el('line', { x1: area.left, x2: area.right, y1: y, y2: y, stroke: tick === 0 ? GREY : GRID }),
        el('text', { x: area.left - 6, y: y + 4, 'text-anchor': 'end' }, axis.format(tick)),
      );
    }),
    el('text', { x: area.left, y: area.top - 10, 'font-weight': 'bold' }, axis.title),
  );
}

/** The x axis: ticks and labels below the area, grid lines up through it, the title under them. */
export function xAxis(area: Area, axis: Axis, height: number): Markup {
  return fragment(
    axis.scale.ticks.map((tick) => {
      const x = axis.scale.map(tick);
      return fragment(
        el('line', { x1: x, x2: x, y1: area.top, y2: area.bottom + 4, stroke: GRID }),
        el('text', { x, y: area.bottom + 18, 'text-anchor': 'middle' }, axis.format(tick)),
      );
    }),
    el('line', { x1: area.left, x2: area.right, y1: area.bottom, y2: area.bottom, stroke: GREY }),
    el('text', { x: (area.left + area.right) / 2, y: height - 6, 'text-anchor': 'middle' }, axis.title),
  );
}

const HEADING = 30;

/** Charts one under another in one SVG under its title, each under a heading: a standalone file of several charts. */
export function stacked(frame: Omit<ChartFrame, 'height'>, panels: { heading: string; chart: Markup; height: number }[]): Markup {
  let height = HEADING;
  const placed = panels.map((panel) => {
    const top = height;
    height += HEADING + panel.height;
    return el(
      'g',
      { transform: `translate(0 ${top})` },
      el('text', { x: 8, y: 22, 'font-size': 15, 'font-weight': 'bold' }, panel.heading),
      el('g', { transform: `translate(0 ${HEADING})` }, panel.chart),
    );
  });
  return svg({ ...frame, height }, el('text', { x: 8, y: 22, 'font-size': 16, 'font-weight': 'bold' }, frame.title), placed);
}

export interface LegendItem {
  label: string;
  color: string;
  dashed?: boolean;
}

/** One row of swatches and names, right-aligned to `right` at height `y`. */
export function legend(items: LegendItem[], right: number, y: number): Markup {
  let x = right;
  const placed = items
    .slice()
    .reverse()
    .map((item) => {
      x -= item.label.length * CHAR_WIDTH + 36;
      const at = x;
      return fragment(
        el('line', { x1: at, x2: at + 16, y1: y - 4, y2: y - 4, stroke: item.color, 'stroke-width': 3, 'stroke-dasharray': item.dashed ? '5 3' : undefined }),
        el('text', { x: at + 20, y }, item.label),
      );
    });
  return fragment(placed.reverse());
}
