// Accumulate phase: pycocotools' accumulate(). For every category, area range and maxDets, the detections of all
// images are merged by descending score (stable: ties keep image order, then rank order), cumulative true and
// false positives give recall and precision, precision is made monotone (the envelope), and read at each recall
// threshold with np.searchsorted(rc, recThrs, side='left').
import type { CellIndex } from './cell-index.ts';
import { IGNORED, MATCHED, type MatchResult } from './match.ts';

/** np.spacing(1): the epsilon pycocotools adds to the precision denominator. */
const EPS = 2.220446049250313e-16;

export interface Accumulated {
  /** C order [T, R, K, A, M]; -1 where the setting has no non-ignored ground truth. */
  precision: Float64Array;
  /** C order [T, K, A, M]. */
  recall: Float64Array;
}

/** First index i with sorted[i] >= value among the first n entries (numpy searchsorted, side='left'). */
function searchLeft(sorted: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function accumulate(
  index: CellIndex,
  matches: MatchResult,
  T: number,
  recThrs: readonly number[],
  A: number,
  maxDets: readonly number[],
): Accumulated {
  const R = recThrs.length;
  const K = index.cellCategories;
  const M = maxDets.length;
  const I = index.images;
  const N = index.dtArea.length;
  const { dtScore, dtRank } = index;
  const { flags, npig } = matches;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  let rc = new Float64Array(1024);
  let pr = new Float64Array(1024);

  for (let k = 0; k < K; k++) {
    const start = index.dtStart[k * I];
    const end = index.dtStart[(k + 1) * I];
    // Kept detections of the category in concatenation order (images ascending, rank within image), sorted by
    // descending score; ties by that order, which is what a stable sort of the concatenation gives.
    const sorted = new Int32Array(end - start);
    for (let j = 0; j < sorted.length; j++) sorted[j] = start + j;
    sorted.sort((x, y) => dtScore[y] - dtScore[x] || x - y);
    if (sorted.length > rc.length) {
      rc = new Float64Array(sorted.length * 2);
      pr = new Float64Array(sorted.length * 2);
    }
    for (let m = 0; m < M; m++) {
      // The first maxDets[m] detections of each image: a subsequence of the merged order (order unchanged).
      const maxDet = maxDets[m];
      const kept = sorted.filter((pos) => dtRank[pos] < maxDet);
      const nd = kept.length;
      for (let a = 0; a < A; a++) {
        const gtCount = npig[k * A + a];
        if (gtCount === 0) continue; // precision and recall stay -1
        for (let t = 0; t < T; t++) {
          const base = (a * T + t) * N;
          let tp = 0;
          let fp = 0;
          for (let j = 0; j < nd; j++) {
            const f = flags[base + kept[j]];
            if ((f & IGNORED) === 0) {
              if (f & MATCHED) tp++;
              else fp++;
            }
            rc[j] = tp / gtCount;
            pr[j] = tp / (fp + tp + EPS);
          }
          recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0;
          for (let j = nd - 1; j > 0; j--) if (pr[j] > pr[j - 1]) pr[j - 1] = pr[j];
          // q stays 0 from the first recall threshold that is never reached (pycocotools' try/except)
          for (let r = 0; r < R; r++) {
            const pi = searchLeft(rc, nd, recThrs[r]);
            const at = (((t * R + r) * K + k) * A + a) * M + m;
            precision[at] = pi < nd ? pr[pi] : 0;
            if (pi >= nd) {
              for (let r2 = r + 1; r2 < R; r2++) precision[(((t * R + r2) * K + k) * A + a) * M + m] = 0;
              break;
            }
          }
        }
      }
    }
  }
  return { precision, recall };
}
