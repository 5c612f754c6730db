// The COCO protocol's rules on hand-made cases. Each expected value is derived by hand in the comment above it,
// following pycocotools' evaluateImg / accumulate: tp and fp are cumulative counts in score order, rc = tp / npig,
// pr = tp / (tp + fp + eps) made monotone from the right, precision at recall r = pr[first i with rc[i] >= r]
// (0 when no such i), AP = mean over 10 IoU thresholds x 101 recall points.
import { describe, expect, it } from 'vitest';
import { defaultParams, evaluateBbox } from '../../src/coco-eval/index.ts';
import { det, makeGt, type GtBox } from './helpers.ts';

const CLOSE = 12; // digits: pycocotools' eps (2.2e-16) keeps "1" a hair below 1

describe('COCO bbox protocol on hand-made cases', () => {
  it('uses numpy linspace thresholds, doubles included', () => {
    const p = defaultParams();
    expect(p.iouThrs).toEqual([0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.8999999999999999, 0.95]);
    expect(p.recThrs).toHaveLength(101);
    expect(p.recThrs[35]).toBe(0.35000000000000003); // np.linspace(0, 1, 101)[35]
    expect(p.recThrs[100]).toBe(1);
    expect(p.areaRng).toEqual([[0, 1e10], [0, 1024], [1024, 9216], [9216, 1e10]]);
  });

  it('scores a perfect detection 1 and leaves empty area ranges at -1', () => {
    // One small gt (area 100) found exactly: rc = [1], pr = [1 - eps] at every IoU threshold.
    // Medium/large: the gt is ignored there (npig = 0), so those settings stay -1.
    const r = evaluateBbox(makeGt([{ bbox: [0, 0, 10, 10] }]), [det([0, 0, 10, 10], 0.9)]);
    expect(r.stats.AP).toBeCloseTo(1, CLOSE);
    expect(r.stats.APs).toBeCloseTo(1, CLOSE);
    expect(r.stats.APm).toBe(-1);
    expect(r.stats.APl).toBe(-1);
    expect(r.stats.AR1).toBe(1);
    expect(r.stats.ARm).toBe(-1);
  });

  it('matches at IoU exactly equal to the threshold (iou < t fails, iou == t matches)', () => {
    // det [0,0,10,5] vs gt [0,0,10,10]: intersection 50, union 100, IoU exactly 0.5: a TP at t = .50 only.
    // AP = mean(1, 0 x 9) = 0.1; AP50 = 1; AP75 = 0.
    const r = evaluateBbox(makeGt([{ bbox: [0, 0, 10, 10] }]), [det([0, 0, 10, 5], 0.9)]);
    expect(r.stats.AP50).toBeCloseTo(1, CLOSE);
    expect(r.stats.AP75).toBe(0);
    expect(r.stats.AP).toBeCloseTo(0.1, CLOSE);
  });

  it('lets a crowd region absorb detections, with IoU over the detection area', () => {
    // gt A [0,0,10,10] regular, gt C [20,0,40,40] crowd. Detections by score: d1 = A exactly (TP),
    // d2 [20,0,10,10] and d3 [30,10,10,10] inside C: IoU = 100 / 100 (detection area) = 1 -> matched to the
    // crowd, which stays matchable -> both ignored; d4 far away -> FP.
    // npig = 1; tp = [1,1,1,1], fp = [0,0,0,1]; rc = [1,1,1,1] -> every recall point reads pr[0] = 1: AP = 1.
    const boxes: GtBox[] = [{ bbox: [0, 0, 10, 10] }, { bbox: [20, 0, 40, 40], crowd: true }];
    const dets = [det([0, 0, 10, 10], 0.9), det([20, 0, 10, 10], 0.8), det([30, 10, 10, 10], 0.7), det([100, 100, 10, 10], 0.6)];
    const crowd = evaluateBbox(makeGt(boxes), dets);
    expect(crowd.stats.AP).toBeCloseTo(1, CLOSE);
    expect(crowd.stats.AR100).toBe(1);
    // The same region as a regular gt (area 1600): d2, d3 have IoU 100/1600 = 0.0625 -> FPs, and C is a missed gt.
    // npig = 2; tp = [1,1,1,1]; rc = [.5,.5,.5,.5]; recall points 0..0.50 (51 of 101) read pr[0] = 1, the rest 0.
    const regular = evaluateBbox(makeGt(boxes.map((b) => ({ ...b, crowd: false }))), dets);
    expect(regular.stats.AP).toBeCloseTo(51 / 101, CLOSE);
    expect(regular.stats.AR100).toBe(0.5);
  });

  it('sorts ignored ground truth last: a regular match is never replaced by a crowd', () => {
    // File order: crowd C [0,0,100,100] first, regular g [0,0,50,60] (area 3000) second; det [0,0,50,50].
    // IoU(det, C) = 2500 / 2500 = 1; IoU(det, g) = 2500 / 3000 = 0.8333.
    // Sorted, g comes first: for t <= .80 (7 thresholds) det -> g (TP) and the loop breaks at the ignored C;
    // for t >= .85 g fails, det -> C -> ignored: tp = fp = 0, rc = [0] -> precision 0.
    // AP = 7 / 10. (Unsorted, C would win at every threshold: AP 0.)
    const gt = makeGt([{ bbox: [0, 0, 100, 100], crowd: true }, { bbox: [0, 0, 50, 60] }]);
    const r = evaluateBbox(gt, [det([0, 0, 50, 50], 0.9)]);
    expect(r.stats.AP).toBeCloseTo(0.7, CLOSE);
    expect(r.stats.AR100).toBeCloseTo(0.7, CLOSE);
  });

  it('assigns area ranges by the annotation area, not the box', () => {
    // gt box [0,0,40,40] (box area 1600: medium) with annotation area 900 (small); the exact detection has
    // area 1600. small: gt kept, TP -> APs = 1. medium: gt ignored (900 < 32^2), the det matches it -> ignored;
    // npig = 0 -> APm = -1. By box area it would be the other way round.
    const r = evaluateBbox(makeGt([{ bbox: [0, 0, 40, 40], area: 900 }]), [det([0, 0, 40, 40], 0.9)]);
    expect(r.stats.APs).toBeCloseTo(1, CLOSE);
    expect(r.stats.APm).toBe(-1);
    expect(r.stats.APl).toBe(-1);
  });

  it('ignores unmatched detections outside the area range', () => {
    // small gt [0,0,10,10]; a large FP [200,200,100,100] (area 10000) scores higher than the exact TP.
    // all: FP then TP: tp = [0,1], fp = [1,1]; rc = [0,1], pr = [0,.5] -> envelope [.5,.5] -> AP = .5.
    // small: the large FP is unmatched and outside [0, 32^2] -> ignored -> APs = 1.
    const r = evaluateBbox(makeGt([{ bbox: [0, 0, 10, 10] }]), [det([200, 200, 100, 100], 0.95), det([0, 0, 10, 10], 0.9)]);
    expect(r.stats.AP).toBeCloseTo(0.5, CLOSE);
    expect(r.stats.APs).toBeCloseTo(1, CLOSE);
  });

  it('keeps input order for equal scores in an image (stable sort)', () => {
    // gt [0,0,10,10]; an FP and the TP with the same score 0.5.
    // FP listed first: FP, TP -> rc = [0,1], pr = [0,.5] -> envelope [.5,.5] -> AP = .5.
    // TP listed first: TP, FP -> rc = [1,1], pr = [1,.5] -> every point reads pr[0] = 1 -> AP = 1.
    const gt = makeGt([{ bbox: [0, 0, 10, 10] }]);
    const fp = det([50, 50, 10, 10], 0.5);
    const tp = det([0, 0, 10, 10], 0.5);
    expect(evaluateBbox(gt, [fp, tp]).stats.AP).toBeCloseTo(0.5, CLOSE);
    expect(evaluateBbox(gt, [tp, fp]).stats.AP).toBeCloseTo(1, CLOSE);
  });

  it('keeps input order among many equal scores in one cell', () => {
    // 40 detections of score 0.5 (more than a small-cell sort handles), the TP listed 21st: 20 FPs come first,
    // so rc reaches 1 at index 20 where pr = 1/21; every recall point reads 1/21: AP = 1/21.
    const gt = makeGt([{ bbox: [0, 0, 10, 10] }]);
    const dets = Array.from({ length: 40 }, (_, i) => (i === 20 ? det([0, 0, 10, 10], 0.5) : det([100 + i, 100, 10, 10], 0.5)));
    expect(evaluateBbox(gt, dets).stats.AP).toBeCloseTo(1 / 21, CLOSE);
  });

  it('breaks score ties across images by image id, not file order', () => {
    // Images 1 and 2, one gt each. File: an FP on image 2, then the TP on image 1, both score 0.5.
    // accumulate concatenates images by ascending id, then sorts stably: TP(img 1), FP(img 2).
    // npig = 2: tp = [1,1], fp = [0,1]; rc = [.5,.5], pr = [1,.5] -> points 0..0.50 read 1: AP = 51/101.
    // (In file order it would be FP, TP: AP = 51 * .5 / 101.)
    const gt = makeGt([{ bbox: [0, 0, 10, 10], image: 1 }, { bbox: [0, 0, 10, 10], image: 2 }], [1, 2]);
    const r = evaluateBbox(gt, [det([50, 50, 10, 10], 0.5, 2), det([0, 0, 10, 10], 0.5, 1)]);
    expect(r.stats.AP).toBeCloseTo(51 / 101, CLOSE);
  });

  it('cuts detections to maxDets (100) per image before matching', () => {
    // 101 detections on one image, one gt [0,0,10,10]; 99 (or 100) FPs score higher than the TP.
    const gt = makeGt([{ bbox: [0, 0, 10, 10] }]);
    const fps = (n: number) => Array.from({ length: n }, (_, i) => det([100 + i, 100, 10, 10], 0.99 - i * 0.001));
    // TP ranked 101st: cut before matching -> no TP: AP = 0, AR100 = 0.
    const cut = evaluateBbox(gt, [...fps(100), det([0, 0, 10, 10], 0.5)]);
    expect(cut.stats.AP).toBe(0);
    expect(cut.stats.AR100).toBe(0);
    // TP ranked 100th (one more FP after it is cut): rc reaches 1 at index 99 where pr = 1/100 -> AP = 0.01;
    // AR100 = 1, but the TP is outside the first 1 and 10 detections: AR1 = AR10 = 0.
    const kept = evaluateBbox(gt, [...fps(99), det([0, 0, 10, 10], 0.5), det([300, 300, 10, 10], 0.1)]);
    expect(kept.stats.AP).toBeCloseTo(0.01, CLOSE);
    expect(kept.stats.AR100).toBe(1);
    expect(kept.stats.AR10).toBe(0);
    expect(kept.stats.AR1).toBe(0);
  });

  it('gives 0 where ground truth exists and -1 elsewhere for an empty results list', () => {
    // Categories 1 (a small gt) and 2 (a medium gt), nothing large. No detections: each category with gt has
    // nd = 0 -> recall 0 and precision 0 at every point; large has npig = 0 everywhere -> -1.
    const gt = makeGt([{ bbox: [0, 0, 10, 10], category: 1 }, { bbox: [0, 0, 50, 50], category: 2 }], [1], [1, 2]);
    const r = evaluateBbox(gt, []);
    expect(r.stats).toEqual({ AP: 0, AP50: 0, AP75: 0, APs: 0, APm: 0, APl: -1, AR1: 0, AR10: 0, AR100: 0, ARs: 0, ARm: 0, ARl: -1 });
    expect(r.perCategoryAP).toEqual({ 1: 0, 2: 0 });
  });

  it('reports -1 for a category without ground truth and leaves it out of the means', () => {
    // Category 2 has no gt: its detections (all FPs) only reach settings with npig = 0 -> -1, not averaged.
    const gt = makeGt([{ bbox: [0, 0, 10, 10], category: 1 }], [1], [1, 2]);
    const r = evaluateBbox(gt, [det([0, 0, 10, 10], 0.9, 1, 1), det([0, 0, 10, 10], 0.95, 1, 2), det([5, 5, 10, 10], 0.8, 1, 2)]);
    expect(r.perCategoryAP[2]).toBe(-1);
    expect(r.perCategoryAP[1]).toBeCloseTo(1, CLOSE);
    expect(r.stats.AP).toBeCloseTo(1, CLOSE);
  });

  it('counts a match to a ground truth with id 0 as a false positive, as pycocotools does', () => {
    // dtMatches stores the gt id; accumulate tests it for truth, so id 0 reads as "unmatched": tp = 0, fp = 1.
    const r = evaluateBbox(makeGt([{ bbox: [0, 0, 10, 10], id: 0 }]), [det([0, 0, 10, 10], 0.9)]);
    expect(r.stats.AP).toBe(0);
    expect(r.stats.AR100).toBe(0);
  });

  it('pools categories when useCats is false', () => {
    // A det labelled with the wrong category is a TP once categories are pooled.
    const gt = makeGt([{ bbox: [0, 0, 10, 10], category: 1 }], [1], [1, 2]);
    const dets = [det([0, 0, 10, 10], 0.9, 1, 2)];
    expect(evaluateBbox(gt, dets).stats.AP).toBe(0);
    expect(evaluateBbox(gt, dets, { useCats: false }).stats.AP).toBeCloseTo(1, CLOSE);
  });

  it('returns one precision-recall curve per IoU threshold', () => {
    // FP then TP (see the area-range case): precision .5 at every recall point, at every threshold.
    const r = evaluateBbox(makeGt([{ bbox: [0, 0, 10, 10] }]), [det([200, 200, 10, 10], 0.95), det([0, 0, 10, 10], 0.9)]);
    expect(r.curves.map((c) => c.iouThreshold)).toEqual(defaultParams().iouThrs);
    expect(r.curves[0].recall).toHaveLength(101);
    for (const c of r.curves) for (const p of c.precision) expect(p).toBeCloseTo(0.5, CLOSE);
  });
});
