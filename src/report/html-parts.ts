/** The pieces a report page is made of: sections, tables, lists of facts, figures. */
import { el, type Child, type Markup } from '../chart/markup.js';

export function section(id: string, title: string, ...children: Child[]): Markup {
  return el('section', { id }, el('h2', {}, title), ...children);
}

/** A table, scrolled sideways where the page is narrower; `numeric` columns are right-aligned (digits line up). */
export function table(header: string[], rows: Child[][], numeric: (column: number) => boolean = (column) => column > 0): Markup {
  const cell = (tag: 'th' | 'td', content: Child, column: number): Markup => el(tag, { class: numeric(column) ? 'num' : undefined }, content);
  return el(
    'div',
    { class: 'table' },
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, header.map((h, column) => cell('th', h, column)))),
      el('tbody', {}, rows.map((row) => el('tr', {}, row.map((content, column) => cell('td', content, column))))),
    ),
  );
}

/** Names and their values, one a row. */
export function facts(pairs: [string, Child][]): Markup {
  return el('dl', {}, pairs.map(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]));
}

/** A chart under its title, and a note on how to read it. */
export function figure(title: string, chart: Markup, note?: string): Markup {
  return el('figure', {}, el('figcaption', {}, el('strong', {}, title), note && ` ${note}`), chart);
}

/** Content shown folded (a long table): the browser opens it without any script. */
export function folded(summary: string, ...children: Child[]): Markup {
  return el('details', {}, el('summary', {}, summary), ...children);
}
