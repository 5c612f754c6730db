// The report page: one self-contained HTML file (inline CSS and inline SVG charts, no script, no network).
import { curveRows, groupBarSpec, groupRows, latencySpec, tradeoffSpec } from './charts.ts';
import { compareStrategies, comparisonLine } from './compare.ts';
import { hasMap } from './curves.ts';
import { isSignificant } from './comparisons.ts';
import { renderSvg } from './render.ts';
import type { Comparison, PointResult, StudyResults } from './results.ts';

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '';
}

/** The point's FLOPs against its model's baseline: "1.80x fewer", "1.69x more", or "baseline". */
export function flopsVsBaseline(p: PointResult, points: readonly PointResult[]): string {
  if (p.strategy === 'baseline') return 'baseline';
  const base = points.find((q) => q.model === p.model && q.strategy === 'baseline' && !q.error);
  if (!base || p.error || p.flops <= 0 || base.flops <= 0) return '';
  const r = base.flops / p.flops;
  if (Math.abs(r - 1) < 0.005) return 'same';
  return r > 1 ? `${r.toFixed(2)}x fewer` : `${(1 / r).toFixed(2)}x more`;
}

/** An interval in AP points: "[20.9, 26.2]". */
function interval(pair: readonly [number, number] | null | undefined, signed = false): string {
  if (!pair) return '';
  const f = (v: number) => `${signed && v > 0 ? '+' : ''}${(v * 100).toFixed(1)}`;
  return `[${f(pair[0])}, ${f(pair[1])}]`;
}

const COST_HEAD = ['point', 'strategy', 'input', 'GMACs', 'GFLOPs', 'FLOPs vs baseline', 'params (M)'];
const COCO_HEAD = ['AP', 'AP 95% CI', 'AP50', 'AP75', 'AR100', 'latency ms (median / p90)'];

/** The table's header; the COCO columns only when some point has mAP. */
function tableHead(withCoco: boolean): string[] {
  return [...COST_HEAD, ...(withCoco ? COCO_HEAD : []), 'error'];
}

function tableRow(p: PointResult, points: readonly PointResult[], withCoco: boolean): string {
  const s = p.stats;
  const ap = (v: number | undefined) => (v === undefined ? '' : v < 0 ? '-' : fmt(v * 100, 1));
  const latency = p.latency ? `${fmt(p.latency.medianMs, 1)} / ${fmt(p.latency.p90Ms, 1)}` : '';
  const cells = [
    p.id,
    p.strategy,
    p.height === p.width ? String(p.height) : `${p.height}x${p.width}`,
    fmt(p.macs / 1e9, 3),
    fmt(p.flops / 1e9, 3),
    flopsVsBaseline(p, points),
    fmt(p.params / 1e6, 2),
    ...(withCoco ? [ap(s?.AP), interval(p.ci?.AP), ap(s?.AP50), ap(s?.AP75), ap(s?.AR100), latency] : []),
    p.error ?? '',
  ];
  return `<tr class="point${p.error ? ' failed' : ''}" data-id="${esc(p.id)}">${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
}

/** The paired comparisons as a table, with a verdict per row. */
function comparisonTable(comparisons: readonly Comparison[], points: readonly PointResult[], level: number): string {
  const head = ['point', 'strategy', 'GFLOPs', 'FLOPs vs baseline', 'AP', 'input scaling at the same FLOPs', 'difference (AP points)', `${Math.round(level * 100)}% CI, paired`, 'unpaired CI', 'verdict'];
  const rows = comparisons.map((c) => {
    const p = points.find((q) => q.id === c.point);
    const ap = p?.stats ? p.stats.AP : NaN;
    const verdict = isSignificant(c)
      ? `${c.deltaAP > 0 ? 'better' : 'worse'} than input scaling (significant)`
      : 'no significant difference';
    const cells = [
      c.point,
      p?.strategy ?? '',
      fmt(c.flops / 1e9, 3),
      p ? flopsVsBaseline(p, points) : '',
      fmt(ap * 100, 1),
      fmt((ap - c.deltaAP) * 100, 1),
      `${c.deltaAP > 0 ? '+' : ''}${fmt(c.deltaAP * 100, 1)}`,
      interval(c.ci, true),
      interval(c.unpairedCi, true),
      verdict,
    ];
    const cls = isSignificant(c) ? (c.deltaAP > 0 ? 'better' : 'worse') : 'same';
    return `<tr class="comparison ${cls}" data-point="${esc(c.point)}">${cells.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`;
  });
  return `<table id="comparisons"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
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
table { border-collapse: collapse; font-size: 12px; width: 100%; table-layout: auto; }
th, td { border: 1px solid #ddd; padding: 3px 5px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; white-space: normal; vertical-align: bottom; }
td:first-child { white-space: normal; overflow-wrap: anywhere; min-width: 12em; }
:is(td, th):is(:first-child, :nth-child(2), :last-child) { text-align: left; }
td:last-child { white-space: normal; }
tr.failed td { background: #fde8e8; }
tr.comparison.worse td:last-child { color: #a40000; } tr.comparison.better td:last-child { color: #006400; }
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
    const withCi = points.find((p) => p.ci);
    parts.push(
      `<p id="ci-note">${
        withCi
          ? `Bars: ${Math.round(withCi.ci!.level * 100)}% confidence intervals of the mAP, by bootstrap over the ${results.images} evaluation images (${withCi.ci!.replicates} replicates, seed ${results.bootstrap?.seed ?? '?'}; Everingham et al., IJCV 2015), shifted by the bootstrap bias. `
          : 'No confidence intervals in these results. '
      }The pale band joins each model's Pareto front across strategies (no other point has fewer FLOPs and more mAP).</p>`,
    );
    parts.push(`<ul class="curves">${curveSummary(results).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
    if (rows.some((r) => r.latencyMs !== null)) {
      const threads = points.find((p) => p.latency)!.latency!.threads;
      parts.push('<h2>mAP against latency</h2>', `<div class="chart" id="latency">${await renderSvg(latencySpec(rows, threads))}</div>`);
      parts.push('<p>FLOPs do not track CPU latency (memory traffic, depthwise convolutions); the latency is the median of warm onnxruntime runs on one input, image decoding not included.</p>');
    }
    const comparisons = results.comparisons ?? [];
    const versus = compareStrategies(points);
    if (comparisons.length > 0) {
      parts.push(
        '<h2>Each strategy vs input scaling at the same FLOPs</h2>',
        '<p>Each light-head, pruned or distilled point against its model\'s input-scaling curve interpolated at the same FLOPs, on the same bootstrap replicates (paired: every replicate scores both on the same images). A difference is significant when its paired interval excludes 0.</p>',
        comparisonTable(comparisons, points, withCi?.ci?.level ?? 0.95),
      );
    } else if (versus.length > 0) {
      parts.push(
        '<h2>Each strategy vs input scaling at the same FLOPs</h2>',
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
    '<p>All 12 COCO numbers, their intervals and the MACs of every group are in results.csv.</p>',
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
