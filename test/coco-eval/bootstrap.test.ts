// Bootstrap over images on the real COCO fixture (79 val2017 images, a jittered results file): a replicate is
// the evaluation of the drawn image list, the intervals hold the estimate, are reproducible, and differences
// read replicate by replicate (paired) are tighter than differences of independent replicates.
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../src/data-dir.ts';
import { evaluateBbox, loadGroundTruth, loadResults, parseGroundTruth } from '../../src/coco-eval/index.ts';
import { BOOTSTRAP_STATS, bootstrapBbox, differenceInterval, drawCounts } from '../../src/coco-eval/bootstrap.ts';
import { buildCellIndex } from '../../src/coco-eval/cell-index.ts';
import { matchAll } from '../../src/coco-eval/match.ts';
import { defaultParams } from '../../src/coco-eval/params.ts';
import { makeResampler } from '../../src/coco-eval/resample.ts';
import type { CocoDetection, CocoEvalParams, CocoGroundTruth } from '../../src/coco-eval/index.ts';
import { mulberry32 } from '../../src/random.ts';

const gt = loadGroundTruth(dataPath('coco', 'instances_val2017_mini.json'));
const dets = loadResults(dataPath('coco', 'fixtures', 'results_jitter_seed1.json'), gt);

function resamplerOf(g: CocoGroundTruth, d: readonly CocoDetection[]) {
  const p: Required<CocoEvalParams> = { ...defaultParams(), imgIds: g.imageIds, catIds: g.categories.map((c) => c.id) };
  const index = buildCellIndex(g, d, p.imgIds, p.catIds, true, 100);
  return makeResampler(index, matchAll(index, p.iouThrs, p.areaRng), p);
}

/** The ground truth and detections of the image list drawn by `counts`, each copy under a new image id. */
function expand(counts: Int32Array): { g: CocoGroundTruth; d: CocoDetection[] } {
  const images: { id: number }[] = [];
  const annotations: object[] = [];
  const d: CocoDetection[] = [];
  gt.imageIds.forEach((id, i) => {
    for (let c = 0; c < counts[i]!; c++) {
      const copy = id * 100 + c;
      images.push({ id: copy });
      for (const a of gt.annotations.filter((x) => x.image_id === id)) {
        annotations.push({ ...a, id: annotations.length + 1, image_id: copy, iscrowd: a.iscrowd ? 1 : 0 });
      }
      for (const x of dets.filter((x) => x.image_id === id)) d.push({ ...x, image_id: copy });
    }
  });
  return { g: parseGroundTruth({ images, annotations, categories: gt.categories }, 'expanded'), d };
}

describe('bootstrap over images', () => {
  it('re-accumulates like the evaluator: all images once gives the estimate, a drawn list its own evaluation', () => {
    const resampler = resamplerOf(gt, dets);
    const once = resampler.stats(new Int32Array(gt.imageIds.length).fill(1));
    const full = evaluateBbox(gt, dets).stats;
    for (const k of BOOTSTRAP_STATS) expect(once[k], k).toBeCloseTo(full[k], 12);
    const counts = drawCounts(gt.imageIds.length, 3, 7);
    for (let b = 0; b < 3; b++) {
      const w = counts.subarray(b * gt.imageIds.length, (b + 1) * gt.imageIds.length);
      expect(w.reduce((s, v) => s + v, 0)).toBe(gt.imageIds.length);
      const { g, d } = expand(w);
      const direct = evaluateBbox(g, d).stats;
      const re = resampler.stats(w);
      for (const k of BOOTSTRAP_STATS) expect(re[k], `replicate ${b} ${k}`).toBeCloseTo(direct[k], 9);
    }
  });

  it('gives 95% intervals that hold the estimate, the same for the same seed', () => {
    const a = bootstrapBbox(gt, dets, { replicates: 300, seed: 11 });
    const again = bootstrapBbox(gt, dets, { replicates: 300, seed: 11 });
    const other = bootstrapBbox(gt, dets, { replicates: 300, seed: 12 });
    expect(a.estimate).toEqual(evaluateBbox(gt, dets).stats); // the study takes its numbers from here
    expect(again.intervals).toEqual(a.intervals);
    expect(other.intervals.AP).not.toEqual(a.intervals.AP);
    for (const k of BOOTSTRAP_STATS) {
      const [lo, hi] = a.intervals[k]!;
      expect(lo, k).toBeLessThan(a.estimate[k]);
      expect(hi, k).toBeGreaterThan(a.estimate[k]);
    }
    // 79 images: a few AP points either side (coco206 is about +-1.3 AP; fewer images, wider)
    const width = a.intervals.AP![1] - a.intervals.AP![0];
    expect(width).toBeGreaterThan(0.01);
    expect(width).toBeLessThan(0.15);
    // Resampling images biases AP upward: the mean replicate sits above the estimate.
    const mean = a.replicates.AP.reduce((s, v) => s + v, 0) / a.replicates.AP.length;
    expect(mean).toBeGreaterThan(a.estimate.AP);
  });

  it('pairs two results on the same replicates: the interval of their difference is narrower than unpaired', () => {
    // A second detector on the same images: the fixture's boxes, a third of them loosened by 15% (seeded).
    const rand = mulberry32(5);
    const worse: CocoDetection[] = dets.map((d) => {
      if (rand() > 1 / 3) return d;
      const [x, y, w, h] = d.bbox;
      return { ...d, bbox: [x - 0.075 * w, y - 0.075 * h, w * 1.15, h * 1.15] };
    });
    const opts = { replicates: 400, seed: 3 };
    const a = bootstrapBbox(gt, dets, opts);
    const b = bootstrapBbox(gt, worse, opts);
    const delta = a.estimate.AP - b.estimate.AP;
    expect(delta).toBeGreaterThan(0);
    const paired = differenceInterval(delta, a.replicates.AP.map((v, i) => v - b.replicates.AP[i]!), 0.95);
    // Unpaired: replicate i of one against replicate (i + 200) of the other, drawn on other images.
    const unpaired = differenceInterval(delta, a.replicates.AP.map((v, i) => v - b.replicates.AP[(i + 200) % 400]!), 0.95);
    expect(paired[0]).toBeLessThan(delta);
    expect(paired[1]).toBeGreaterThan(delta);
    expect(paired[1] - paired[0]).toBeLessThan(0.6 * (unpaired[1] - unpaired[0]));
    expect(paired[0]).toBeGreaterThan(0); // significant once paired
  });
});
