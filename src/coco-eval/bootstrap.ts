// Confidence intervals of the COCO stats by bootstrap over test images (Everingham et al., "The PASCAL Visual
// Object Classes Challenge: A Retrospective", IJCV 2015, sec. 3.5): each replicate draws the images with
// replacement and scores the detections of the drawn list. The per-image matching is done once; a replicate
// only re-accumulates (resample.ts). Replicate b draws the same images for every results set scored on the same
// ground truth with the same seed, so differences between two models can be read replicate by replicate (paired).
import { mulberry32, randomIndex } from '../random.ts';
import { buildCellIndex } from './cell-index.ts';
import { matchAll } from './match.ts';
import { defaultParams, sortedUnique } from './params.ts';
import { makeResampler } from './resample.ts';
import { accumulate } from './accumulate.ts';
import { summarizeStats } from './summarize.ts';
import { STAT_KEYS, type CocoDetection, type CocoEvalParams, type CocoGroundTruth, type CocoStats, type StatKey } from './types.ts';

/** The 12 numbers, in pycocotools' order. */
export const BOOTSTRAP_STATS: readonly StatKey[] = STAT_KEYS;

export interface BootstrapOptions {
  replicates: number;
  seed: number;
  /** Coverage of the intervals (default 0.95). */
  level?: number;
}

/** [lo, hi] per stat; null where the stat is undefined (-1, no ground truth in that setting). */
export type StatIntervals = Record<StatKey, [number, number] | null>;

export interface BootstrapResult {
  /** The stats of the full image list (what evaluateBbox reports). */
  estimate: CocoStats;
  /** The stat of each replicate, per stat (-1 where undefined in that replicate). */
  replicates: Record<StatKey, Float64Array>;
  level: number;
  intervals: StatIntervals;
}

/**
 * How many times each image is drawn in each replicate: counts[b * images + i]. Depends only on the seed and the
 * number of images (images in ascending id order), so every results set on the same images gets the same draws.
 */
export function drawCounts(images: number, replicates: number, seed: number): Int32Array {
  const rand = mulberry32(seed);
  const counts = new Int32Array(images * replicates);
  for (let b = 0; b < replicates; b++) for (let i = 0; i < images; i++) counts[b * images + randomIndex(rand, images)]++;
  return counts;
}

/** numpy.percentile (linear interpolation) of the sorted values at q in [0, 1]. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile interval of the replicates, shifted by the bootstrap's bias estimate (mean of the replicates minus
 * the estimate; Efron & Tibshirani, An Introduction to the Bootstrap, 1993, sec. 10.2). Resampling images
 * biases COCO AP upward (a category's precision curve gets fewer, heavier steps), which left the estimate at
 * the plain percentile interval's lower edge; the shift re-centres the interval on it.
 */
export function biasCorrectedInterval(estimate: number, replicates: ArrayLike<number>, level: number): [number, number] | null {
  const kept = Float64Array.from(replicates).filter((v) => v > -1 && Number.isFinite(v));
  if (estimate <= -1 || kept.length === 0) return null;
  return shiftedPercentiles(estimate, kept.sort(), level);
}

/** Same as biasCorrectedInterval for a difference that may be negative (no -1 sentinel). */
export function differenceInterval(estimate: number, replicates: ArrayLike<number>, level: number): [number, number] {
  return shiftedPercentiles(estimate, Float64Array.from(replicates).filter((v) => Number.isFinite(v)).sort(), level);
}

/** The percentile interval of sorted replicates, shifted by the bootstrap bias (mean of replicates - estimate). */
function shiftedPercentiles(estimate: number, sorted: Float64Array, level: number): [number, number] {
  let mean = 0;
  for (const v of sorted) mean += v;
  mean /= sorted.length;
  const bias = mean - estimate;
  const alpha = (1 - level) / 2;
  return [quantile(sorted, alpha) - bias, quantile(sorted, 1 - alpha) - bias];
}

/**
 * Bootstraps the 12 COCO bbox stats over the ground truth's images (default parameters; params.imgIds may
 * restrict the images). Validate untrusted detections with parseResults first.
 */
export function bootstrapBbox(
  gt: CocoGroundTruth,
  detections: readonly CocoDetection[],
  options: BootstrapOptions,
  params: Partial<Pick<CocoEvalParams, 'imgIds'>> = {},
): BootstrapResult {
  const level = options.level ?? 0.95;
  if (!Number.isInteger(options.replicates) || options.replicates < 1) throw new Error(`bootstrap: replicates must be a positive integer, got ${options.replicates}`);
  const p: Required<CocoEvalParams> = {
    ...defaultParams(),
    imgIds: sortedUnique(params.imgIds ?? gt.imageIds),
    catIds: sortedUnique(gt.categories.map((c) => c.id)),
  };
  const maxDet = p.maxDets[p.maxDets.length - 1]!;
  const index = buildCellIndex(gt, detections, p.imgIds, p.catIds, p.useCats, maxDet);
  const matches = matchAll(index, p.iouThrs, p.areaRng);
  const dims = { T: p.iouThrs.length, R: p.recThrs.length, K: index.cellCategories, A: p.areaRng.length, M: p.maxDets.length };
  const estimate = summarizeStats(accumulate(index, matches, dims.T, p.recThrs, dims.A, p.maxDets), p, dims);

  const resampler = makeResampler(index, matches, p);
  const I = index.images;
  const B = options.replicates;
  const counts = drawCounts(I, B, options.seed);
  const replicates = Object.fromEntries(BOOTSTRAP_STATS.map((k) => [k, new Float64Array(B)])) as Record<StatKey, Float64Array>;
  for (let b = 0; b < B; b++) {
    const s = resampler.stats(counts.subarray(b * I, (b + 1) * I));
    for (const k of BOOTSTRAP_STATS) replicates[k][b] = s[k];
  }
  const intervals = Object.fromEntries(
    BOOTSTRAP_STATS.map((k) => [k, biasCorrectedInterval(estimate[k], replicates[k], level)]),
  ) as StatIntervals;
  return { estimate, replicates, level, intervals };
}
