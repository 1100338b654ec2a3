/** The report's counts per template and per tag: tables, and bars beside them. */
import { barChart } from '../chart/bar-chart.js';
import { el, type Markup } from '../chart/markup.js';
import { PALETTE } from '../chart/plot.js';
import { siLabel } from '../chart/scale.js';
import { formatCount, formatFlows, formatPercent } from './format.js';
import { figure, folded, section, table } from './html-parts.js';
import type { RunRecord } from './run-record.js';

// A chart of more bars than this is a wall; the table still has every template.
const MAX_BARS = 64;

function bars(title: string, color: string, counts: [string, number][], total: number): Markup {
  const shown = counts.slice(0, MAX_BARS);
  const chart = barChart({
    title,
    value: { title: 'packets sent', format: (v) => siLabel(v, '') },
    series: [{ label: 'packets', color }],
    groups: shown.map(([label, packets]) => ({ label, bars: [{ value: packets, tip: `${label}: ${formatCount(packets)} packets (${formatPercent(packets, total)})` }] })),
  });
  return figure(title, chart, counts.length > shown.length ? `The first ${MAX_BARS} of ${formatCount(counts.length)}; the table has them all.` : undefined);
}

export function templateSection(record: RunRecord): Markup {
  const summary = record.summary;
  if (!summary) return section('templates', 'Templates and tags', el('p', {}, 'The run failed before it counted packets per template.'));
  const total = summary.packets;
  const varied = summary.perTemplate.some((t) => t.flows > 1 || t.random);
  const name = (t: { index: number; tags: string[] }): string => `template ${t.index}${t.tags.length ? ` (${t.tags.join(',')})` : ''}`;
  const rows = summary.perTemplate.map((t) => [
    String(t.index),
    t.tags.join(','),
    formatCount(t.packets),
    formatPercent(t.packets, total),
    ...(varied ? [formatFlows(t.flows, t.random)] : []),
  ]);
  const templateTable = table(['template', 'tags', 'packets', 'share', ...(varied ? ['flows'] : [])], rows, (column) => column === 2 || column === 3);
  const tags = Object.entries(summary.perTag);
  return section(
    'templates',
    'Templates and tags',
    bars('Packets sent per template', PALETTE[0], summary.perTemplate.map((t) => [name(t), t.packets]), total),
    rows.length > MAX_BARS ? folded(`All ${formatCount(rows.length)} templates`, templateTable) : templateTable,
    tags.length > 0 && bars('Packets sent per tag', PALETTE[3], tags, total),
    tags.length > 0 && table(['tag', 'packets', 'share'], tags.map(([tag, packets]) => [tag, formatCount(packets), formatPercent(packets, total)])),
  );
}
