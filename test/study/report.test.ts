import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.ts';
import { curveRows, paretoFront } from '../../src/study/charts.ts';
import { buildReportHtml, flopsVsBaseline } from '../../src/study/html.ts';
import { resultsCsv } from '../../src/study/report.ts';
import type { StudyResults } from '../../src/study/results.ts';
import { point, sampleResults } from './fixtures.ts';

/** Plotted points of the trade-off chart, counted per line from their aria labels ("series: NAME; ..."). */
export function pointsPerSeries(svg: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of svg.matchAll(/aria-label="series: ([^;"]+);[^"]*"[^>]*aria-roledescription="point"/g)) {
    const name = m[1]!.replace(/&#183;|·/g, '·');
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('report', () => {
  it('draws one line per model and strategy, each from the baseline', () => {
    const rows = curveRows(sampleResults().points);
    const count = (s: string) => rows.filter((r) => r.series === s).length;
    expect([count('a · input scaling'), count('a · layer-specific'), count('b · input scaling'), count('b · layer-specific')]).toEqual([3, 3, 3, 2]);
  });

  it('reads FLOPs against the baseline both ways and finds each model\'s Pareto front across strategies', () => {
    const points = sampleResults().points;
    const above = point('a@416', 'input-scaling', 1.2168, 0.22);
    expect(flopsVsBaseline(above, [...points, above])).toBe('1.69x more');
    expect(flopsVsBaseline(points[2]!, points)).toBe('2.77x fewer');
    expect(flopsVsBaseline(points[0]!, points)).toBe('baseline');
    // a: 192 (11.0) < 256 (16.0) < dwsep (18.0) < conv1x1 (19.0) < 320 (20.0): all on the front;
    // b: 256 (17.0) < 320 (21.0) < conv1x1 (24.0) < 416 (25.0): all on it too; a worse-and-costlier point is not.
    const worse = point('a+lowrank-P3@320', 'layer-specific', 0.65, 0.12);
    const front = paretoFront(curveRows([...points, worse])).map((r) => r.id);
    expect(front).toEqual(['a@192', 'a@256', 'a+dwsep-P3@320', 'a+conv1x1-P3@320', 'a@320', 'b@256', 'b@320', 'b+conv1x1-P3@416', 'b@416']);
  });

  it('flopmap report rebuilds the page from results.json alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flopmap-report-'));
    const file = join(dir, 'results.json');
    writeFileSync(file, JSON.stringify(sampleResults()));
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['node', 'flopmap', 'report', file]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    const tradeoff = html.slice(html.indexOf('id="tradeoff"'), html.indexOf('id="groups"'));
    expect(pointsPerSeries(tradeoff)).toEqual({
      'a · input scaling': 3,
      'a · layer-specific': 3,
      'b · input scaling': 3,
      'b · layer-specific': 2,
    });
    expect(html.match(/<tr class="point/g)).toHaveLength(9);
    // a+conv1x1-P3: 0.6 GFLOPs, 19.0 mAP; input scaling passes 0.46 -> 16.0 and 0.72 -> 20.0, i.e. 18.15 at 0.6.
    expect(html).toMatch(
      /<tr class="comparison same" data-point="a\+conv1x1-P3@320"><td>a\+conv1x1-P3@320<\/td><td>layer-specific<\/td><td>0\.600<\/td><td>1\.20x fewer<\/td><td>19\.0<\/td><td>18\.[12]<\/td><td>\+0\.[89]<\/td><td>\[-0\.4, \+2\.0\]<\/td><td>\[-1\.5, \+3\.0\]<\/td><td>no significant difference<\/td><\/tr>/,
    );
    // Without paired comparisons (older results), the plain line at the same FLOPs.
    const { comparisons: _, ...older } = sampleResults();
    expect(await buildReportHtml(older)).toContain(
      'a+conv1x1-P3@320: 0.600 GFLOPs (1.20x fewer), 19.0 mAP; input scaling at the same FLOPs: 18.2 mAP (difference +0.8)',
    );
    // Self-contained: no script and nothing fetched.
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  it('says so and shows FLOPs only when no point has mAP', async () => {
    const flopsOnly: StudyResults = {
      study: 'retinanet',
      evaluated: false,
      images: 0,
      points: [point('r@800x1216', 'baseline', 460, null), point('r+conv1x1-P3@800x1216', 'layer-specific', 300, null)],
    };
    const html = await buildReportHtml(flopsOnly);
    expect(html).toMatch(/id="no-map">No mAP in this study: the points were profiled only/);
    expect(html).not.toMatch(/id="tradeoff"/);
    expect(html).toMatch(/id="groups"/);
    expect(html).toMatch(/<td>1\.53x fewer<\/td>/); // FLOPs of the light head against the baseline
  });

  it('writes a CSV row per point with the 12 COCO numbers, their intervals, the latency and per-group MACs', () => {
    const lines = resultsCsv(sampleResults()).trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatch(/^id,model,family,strategy,size,height,width,variant,macs,flops,params,AP,AP50,.*,ARl,images,seconds,error,AP_lo,AP_hi,.*,ARl_hi,latency_median_ms,latency_p90_ms,latency_threads,latency_runs,macs:backbone\/stage2,/);
    expect(lines[1]!.split(',')).toHaveLength(lines[0]!.split(',').length);
  });
});
