// A study listing a variant file with `of` and `strategy` (NanoDet-m 0.5x, a narrower backbone: channel pruning
// of NanoDet-m) on real COCO images: the file lands on NanoDet-m's curve, every point has intervals that hold
// its AP and a latency, and the variant gets a paired comparison with the input-scaling curve at its FLOPs.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realStages } from '../../src/study/real-stages.ts';
import { writeReport } from '../../src/study/report.ts';
import { loadResults } from '../../src/study/results.ts';
import { runStudy } from '../../src/study/runner.ts';
import { parseStudy } from '../../src/study/schema.ts';

describe('trained variant files as points', () => {
  it('puts an `of` model on its model\'s curve with a paired comparison, intervals and latency', async () => {
    const out = mkdtempSync(join(tmpdir(), 'flopmap-of-'));
    const study = parseStudy(
      {
        name: 'of',
        models: [
          { id: 'nanodet-m', path: '${data}/models/nanodet_m_320.onnx', family: 'nanodet' },
          { id: 'half', path: '${data}/models/nanodet_m_0.5x_320.onnx', family: 'nanodet', of: 'nanodet-m', strategy: 'channel-pruning' },
        ],
        data: { images: 12, shardSize: 12 },
        inputScaling: { sizes: [160, 256] },
        bootstrap: { replicates: 300, seed: 4 },
      },
      '/x/of.json',
    );
    const r = await runStudy(study, { outDir: out, stages: realStages() });
    expect(r.points.map((p) => [p.id, p.model, p.strategy, p.variant, p.error])).toEqual([
      ['nanodet-m@320', 'nanodet-m', 'baseline', null, undefined],
      ['nanodet-m@160', 'nanodet-m', 'input-scaling', null, undefined],
      ['nanodet-m@256', 'nanodet-m', 'input-scaling', null, undefined],
      ['nanodet-m+half@320', 'nanodet-m', 'channel-pruning', 'half', undefined],
    ]);
    for (const p of r.points) {
      const [lo, hi] = p.ci!.AP!;
      expect(lo, p.id).toBeLessThanOrEqual(p.stats!.AP);
      expect(hi, p.id).toBeGreaterThanOrEqual(p.stats!.AP);
      expect(p.ci!.replicates).toBe(300);
      expect(p.latency!.runs).toBe(20);
      expect(p.latency!.p90Ms).toBeGreaterThanOrEqual(p.latency!.medianMs);
    }
    const half = r.points[3]!;
    expect(half.flops).toBeLessThan(r.points[2]!.flops);
    expect(half.flops).toBeGreaterThan(r.points[1]!.flops);
    expect(r.comparisons).toHaveLength(1);
    const c = r.comparisons![0]!;
    expect([c.model, c.point, c.against, c.flops]).toEqual(['nanodet-m', 'nanodet-m+half@320', 'input-scaling', half.flops]);
    expect(c.ci[0]).toBeLessThanOrEqual(c.deltaAP);
    expect(c.ci[1]).toBeGreaterThanOrEqual(c.deltaAP);
    // Same images in every replicate of both sides: the paired interval is the narrower one.
    expect(c.ci[1] - c.ci[0]).toBeLessThan(c.unpairedCi[1] - c.unpairedCi[0]);

    // results.json and the CSV carry it all; the file reads back.
    const files = await writeReport(out, r);
    expect(loadResults(files.json)).toEqual(JSON.parse(JSON.stringify(r)));
    const header = readFileSync(files.csv, 'utf8').split('\n')[0]!.split(',');
    expect(header).toEqual(expect.arrayContaining(['AP_lo', 'AP_hi', 'ARl_hi', 'latency_median_ms', 'latency_p90_ms']));
  }, 240_000);
});
