// The report page: one self-contained HTML file (inline CSS and inline SVG charts, no script, no network).
import { curveRows, groupBarSpec, groupRows, tradeoffSpec } from './charts.ts';
import { compareStrategies, comparisonLine } from './compare.ts';
import { hasMap } from './curves.ts';
import { renderSvg } from './render.ts';
import type { PointResult, StudyResults } from './results.ts';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '';
}

/** FLOPs of the model's baseline divided by the point's: "1.80x" fewer FLOPs. */
function reduction(p: PointResult, points: readonly PointResult[]): string {
  const base = points.find((q) => q.model === p.model && q.strategy === 'baseline' && !q.error);
  if (!base || p.error || p.flops <= 0) return '';
  return `${(base.flops / p.flops).toFixed(2)}x`;
}

const COST_HEAD = ['point', 'strategy', 'input', 'variant', 'GMACs', 'GFLOPs', 'FLOPs cut', 'params (M)'];
const COCO_HEAD = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR100', 'images', 'seconds'];

/** The table's header; the COCO columns only when some point has mAP. */
function tableHead(withCoco: boolean): string[] {
  return [...COST_HEAD, ...(withCoco ? COCO_HEAD : []), 'error'];
}

function tableRow(p: PointResult, points: readonly PointResult[], withCoco: boolean): string {
  const s = p.stats;
  const ap = (v: number | undefined) => (v === undefined ? '' : v < 0 ? '-' : fmt(v * 100, 1));
  const cells = [
    p.id,
    p.strategy,
    p.height === p.width ? String(p.height) : `${p.height}x${p.width}`,
    p.variant ?? '',
    fmt(p.macs / 1e9, 3),
    fmt(p.flops / 1e9, 3),
    reduction(p, points),
    fmt(p.params / 1e6, 2),
    ...(withCoco
      ? [ap(s?.AP), ap(s?.AP50), ap(s?.AP75), ap(s?.APs), ap(s?.APm), ap(s?.APl), ap(s?.AR100), String(p.images), fmt(p.seconds, 1)]
      : []),
    p.error ?? '',
  ];
  return `<tr class="point${p.error ? ' failed' : ''}" data-id="${esc(p.id)}">${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
}

/** Text form of the curves: each line's (GFLOPs, mAP) pairs, lowest FLOPs first. */
export function curveSummary(results: StudyResults): string[] {
  const rows = curveRows(results.points);
  const lines: string[] = [];
  for (const series of [...new Set(rows.map((r) => r.series))]) {
    const pts = rows.filter((r) => r.series === series).sort((a, b) => a.gflops - b.gflops);
    lines.push(`${series}: ${pts.map((r) => `${r.label} ${r.gflops.toFixed(3)} GFLOPs ${r.mAP.toFixed(1)} mAP`).join(', ')}`);
  }
  return lines;
}

const CSS = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.note { background: #fff4d6; border-left: 4px solid #e0a800; padding: 8px 12px; }
.chart svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 12px; }
th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; }
:is(td, th):is(:first-child, :nth-child(2), :nth-child(4), :last-child) { text-align: left; }
tr.failed td { background: #fde8e8; }
ul.curves { font-size: 13px; }
`;

/** Builds the page from results.json alone. */
export async function buildReportHtml(results: StudyResults): Promise<string> {
  const points = results.points;
  const anyMap = points.some(hasMap);
  const failed = points.filter((p) => p.error);
  const parts: string[] = [];
  parts.push(`<h1>flopmap study: ${esc(results.study)}</h1>`);
  if (results.description) parts.push(`<p>${esc(results.description)}</p>`);
  parts.push(
    `<p>${points.length} points; ${results.evaluated ? `COCO bbox mAP on ${results.images} images per point` : 'profile only'}. ` +
      'FLOPs count a multiply-add as 2 FLOPs (1 MAC = 2 FLOPs).</p>',
  );
  if (!anyMap) {
    parts.push(
      '<p class="note" id="no-map">No mAP in this study: ' +
        (results.evaluated
          ? 'no point produced COCO numbers (see the errors in the table).'
          : 'the points were profiled only, not run (the model has no trained weights, e.g. the zero-weight RetinaNet graph).') +
        ' Only FLOPs are shown.</p>',
    );
  } else {
    const rows = curveRows(points);
    const svg = await renderSvg(tradeoffSpec(rows, 'FLOPs vs COCO mAP: input scaling vs layer-specific reduction'));
    parts.push('<h2>Trade-off</h2>', `<div class="chart" id="tradeoff">${svg}</div>`);
    parts.push(`<ul class="curves">${curveSummary(results).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
    const versus = compareStrategies(points);
    if (versus.length > 0) {
      parts.push(
        '<h2>Light heads vs input scaling at the same FLOPs</h2>',
        `<ul class="curves" id="versus">${versus.map((c) => `<li>${esc(comparisonLine(c))}</li>`).join('')}</ul>`,
      );
    }
  }
  if (failed.length > 0) {
    parts.push(`<p class="note" id="failures">${failed.length} point(s) failed: ${esc(failed.map((p) => p.id).join(', '))}.</p>`);
  }
  const bars = groupRows(points);
  if (bars.length > 0) {
    const svg = await renderSvg(groupBarSpec(bars, points.filter((p) => !p.error).length));
    parts.push('<h2>FLOPs per group</h2>', `<div class="chart" id="groups">${svg}</div>`);
  }
  parts.push(
    '<h2>Points</h2>',
    `<table id="points"><thead><tr>${tableHead(anyMap).map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>${points.map((p) => tableRow(p, points, anyMap)).join('\n')}</tbody></table>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flopmap: ${esc(results.study)}</title>
<style>${CSS}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
