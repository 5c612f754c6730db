// Accumulate phase: pycocotools' accumulate(). For every category, area range and maxDets, the detections of all
// images are merged by descending score (stable: ties keep image order, then rank order), cumulative true and
// false positives give recall rc = tp / npig and precision pr = tp / (tp + fp + eps), precision is made monotone
// from the right, and read at each recall threshold with np.searchsorted(rc, recThrs, side='left').
//
// Only true positives move rc, so the value read at a recall threshold r, pr_envelope[first i with rc[i] >= r],
// is the maximum of pr over the true positives from that one on: pr at any other detection is at most pr at the
// true positive before it. We therefore keep (rc, pr) at true positives only, the same doubles pycocotools
// computes there, and divide once per true positive instead of twice per detection.
import type { CellIndex } from './cell-index.ts';
import { IGNORED as IGNORED_FLAG, MATCHED as MATCHED_FLAG, type MatchResult } from './match.ts';

// Module-level copies: an imported binding may be read through a getter (tsx/esbuild's ESM shims); in the
// inner loop below that getter took more time than the loop itself.
const MATCHED: number = MATCHED_FLAG;
const IGNORED: number = IGNORED_FLAG;

/** np.spacing(1): the epsilon pycocotools adds to the precision denominator. */
const EPS = 2.220446049250313e-16;

export interface Accumulated {
  /** C order [T, R, K, A, M]; -1 where the setting has no non-ignored ground truth. */
  precision: Float64Array;
  /** C order [T, K, A, M]. */
  recall: Float64Array;
}

/** First index i < n with sorted[from + i] >= value, or n (numpy searchsorted, side='left'). */
function searchLeft(sorted: Float64Array, from: number, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[from + mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Kept detections of category k, in the order of a stable sort of the concatenation by descending score. A
 * comparator sort calls back into JS N log N times; instead the distinct scores are sorted natively (a typed
 * array sort without comparator), each detection gets its score's rank by binary search, and a counting sort by
 * rank keeps the concatenation order among equal scores (-0 and 0 are one score, as in the comparator's x - y).
 */
function mergedOrder(index: CellIndex, k: number): Int32Array {
  const start = index.dtStart[k * index.images];
  const end = index.dtStart[(k + 1) * index.images];
  const n = end - start;
  const { dtScore } = index;
  const keys = new Float64Array(n);
  for (let j = 0; j < n; j++) keys[j] = dtScore[start + j] + 0; // -0 + 0 is 0
  const distinct = keys.slice().sort();
  let u = 0;
  for (let j = 0; j < n; j++) if (j === 0 || distinct[j] !== distinct[u - 1]) distinct[u++] = distinct[j];
  // rank 0 = the highest score
  const rank = new Int32Array(n);
  const count = new Int32Array(u + 1);
  for (let j = 0; j < n; j++) {
    const v = keys[j];
    let lo = 0;
    let hi = u;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (distinct[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    const r = u - 1 - lo;
    rank[j] = r;
    count[r + 1]++;
  }
  for (let r = 0; r < u; r++) count[r + 1] += count[r];
  const sorted = new Int32Array(n);
  for (let j = 0; j < n; j++) sorted[count[rank[j]]++] = start + j;
  return sorted;
}

const MIXED = 0;
const ALL_FALSE = 1;
const ALL_IGNORED = 2;

/**
 * Per detection and area range, whether its T flags are all false positives (0), all ignored, or mixed: most
 * detections are one of the first two (an unmatched box is ignored in every area range it is outside of), and
 * accumulate then counts them in one step instead of T.
 */
function flagKinds(flags: Uint8Array, N: number, A: number, T: number): Uint8Array {
  const kind = new Uint8Array(N * A);
  for (let d = 0; d < N; d++) {
    for (let a = 0; a < A; a++) {
      const base = (d * A + a) * T;
      let or = 0;
      let and = 0xff;
      for (let t = 0; t < T; t++) {
        or |= flags[base + t];
        and &= flags[base + t];
      }
      kind[d * A + a] = or === 0 ? ALL_FALSE : and & IGNORED ? ALL_IGNORED : MIXED;
    }
  }
  return kind;
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
  const AT = A * T;
  const { dtRank } = index;
  const { flags, npig } = matches;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const tp = new Int32Array(AT);
  const fp = new Int32Array(AT); // false positives counted one (a, t) at a time
  const fpAll = new Int32Array(A); // detections that are false positives at every t of area range a
  const events = new Int32Array(AT); // true positives so far, per (a, t)
  let evRc = new Float64Array(0); // [at * capacity + e]
  let evPr = new Float64Array(0);
  let kept = new Int32Array(0);
  const kind = flagKinds(flags, index.dtArea.length, A, T);

  for (let k = 0; k < K; k++) {
    let capacity = 0; // at most one true positive per non-ignored gt
    for (let a = 0; a < A; a++) capacity = Math.max(capacity, npig[k * A + a]);
    if (capacity === 0) continue; // every setting of this category stays -1
    if (AT * capacity > evRc.length) {
      evRc = new Float64Array(AT * capacity);
      evPr = new Float64Array(AT * capacity);
    }
    const sorted = mergedOrder(index, k);
    for (let m = 0; m < M; m++) {
      // The first maxDets[m] detections of each image: a subsequence of the merged order.
      const maxDet = maxDets[m];
      if (kept.length < sorted.length) kept = new Int32Array(sorted.length);
      let nd = 0;
      for (let j = 0; j < sorted.length; j++) if (dtRank[sorted[j]] < maxDet) kept[nd++] = sorted[j];
      tp.fill(0);
      fp.fill(0);
      fpAll.fill(0);
      events.fill(0);
      for (let j = 0; j < nd; j++) {
        const d = kept[j];
        for (let a = 0; a < A; a++) {
          const how = kind[d * A + a];
          if (how === ALL_IGNORED) continue;
          if (how === ALL_FALSE) {
            fpAll[a]++;
            continue;
          }
          const base = d * AT + a * T;
          for (let t = 0; t < T; t++) {
            const f = flags[base + t];
            if (f & IGNORED) continue;
            const at = a * T + t;
            if (f & MATCHED) {
              const n = ++tp[at];
              const e = at * capacity + events[at]++;
              evRc[e] = n / npig[k * A + a];
              evPr[e] = n / (fp[at] + fpAll[a] + n + EPS);
            } else {
              fp[at]++;
            }
          }
        }
      }
      for (let a = 0; a < A; a++) {
        const gtCount = npig[k * A + a];
        if (gtCount === 0) continue;
        for (let t = 0; t < T; t++) {
          const at = a * T + t;
          const from = at * capacity;
          const nTp = events[at];
          const rcLast = nd > 0 ? tp[at] / gtCount : 0;
          recall[((t * K + k) * A + a) * M + m] = rcLast;
          for (let e = from + nTp - 1; e > from; e--) if (evPr[e] > evPr[e - 1]) evPr[e - 1] = evPr[e];
          for (let r = 0; r < R; r++) {
            const at5 = (((t * R + r) * K + k) * A + a) * M + m;
            // searchsorted past the end: pycocotools' try/except leaves this and every later point at 0
            if (nd === 0 || recThrs[r] > rcLast) {
              for (let r2 = r; r2 < R; r2++) precision[(((t * R + r2) * K + k) * A + a) * M + m] = 0;
              break;
            }
            const e = searchLeft(evRc, from, nTp, recThrs[r]);
            precision[at5] = e < nTp ? evPr[from + e] : 0; // no true positive at all: every pr is 0
          }
        }
      }
    }
  }
  return { precision, recall };
}
