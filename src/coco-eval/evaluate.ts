// evaluateBbox: pycocotools' COCOeval(gt, dt, 'bbox').evaluate(); accumulate(); summarize(), in four timed phases.
import { performance } from 'node:perf_hooks';
import { accumulate } from './accumulate.ts';
import { buildCellIndex } from './cell-index.ts';
import type { DetectionArrays } from './detection-arrays.ts';
import { matchAll } from './match.ts';
import { defaultParams, sortedUnique } from './params.ts';
import { perCategoryAP, precisionRecallCurves, summarizeStats } from './summarize.ts';
import type { CocoDetection, CocoEvalParams, CocoEvalResult, CocoGroundTruth } from './types.ts';

/**
 * Scores detections against the ground truth with the COCO bbox protocol. Evaluation covers the ground truth's
 * images and categories (or params.imgIds / catIds); detections elsewhere are left out, as pycocotools does.
 * Validate untrusted detections with parseResults first.
 */
export function evaluateBbox(
  gt: CocoGroundTruth,
  detections: readonly CocoDetection[] | DetectionArrays,
  params: Partial<CocoEvalParams> = {},
): CocoEvalResult {
  const p: Required<CocoEvalParams> = {
    ...defaultParams(),
    imgIds: gt.imageIds,
    catIds: gt.categories.map((c) => c.id),
    ...Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)),
  } as Required<CocoEvalParams>;
  // evaluate(): p.imgIds = np.unique(p.imgIds); p.catIds = np.unique(p.catIds); p.maxDets = sorted(p.maxDets)
  p.imgIds = sortedUnique(p.imgIds);
  p.catIds = sortedUnique(p.catIds);
  p.maxDets = [...p.maxDets].sort((a, b) => a - b);
  if (p.areaRngLbl.length !== p.areaRng.length) throw new Error('params: areaRngLbl must name every areaRng');

  let clock = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const ms = now - clock;
    clock = now;
    return ms;
  };
  const maxDet = p.maxDets.length > 0 ? p.maxDets[p.maxDets.length - 1] : 0;
  const index = buildCellIndex(gt, detections, p.imgIds, p.catIds, p.useCats, maxDet);
  const indexMs = lap();
  const matches = matchAll(index, p.iouThrs, p.areaRng);
  const evaluateMs = lap();
  const dims = { T: p.iouThrs.length, R: p.recThrs.length, K: index.cellCategories, A: p.areaRng.length, M: p.maxDets.length };
  const acc = accumulate(index, matches, dims.T, p.recThrs, dims.A, p.maxDets);
  const accumulateMs = lap();
  const stats = summarizeStats(acc, p, dims);
  const perCategory = p.useCats ? perCategoryAP(acc, p, p.catIds, dims) : {};
  const curves = precisionRecallCurves(acc, p, dims);
  const summarizeMs = lap();
  return {
    stats,
    perCategoryAP: perCategory,
    curves,
    precision: acc.precision,
    recall: acc.recall,
    counts: dims,
    params: p,
    timings: { index: indexMs, evaluate: evaluateMs, accumulate: accumulateMs, summarize: summarizeMs },
  };
}
