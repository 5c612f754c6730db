// Evaluate phase: pycocotools' evaluateImg for every cell (category x image) and area range. Detections are
// matched greedily in descending score to the ground truth with the highest IoU, ignored ground truth (crowd
// regions and annotations outside the area range) sorted last; the result is, per area range and IoU threshold,
// two bits per kept detection: matched (to a ground truth with a non-zero id) and ignored.
import { boxIouMatrix } from './box-iou.ts';
import type { CellIndex } from './cell-index.ts';

/** Bit set in MatchFlags when pycocotools' dtMatches is non-zero. */
export const MATCHED = 1;
/** Bit set in MatchFlags when pycocotools' dtIgnore is true. */
export const IGNORED = 2;

export interface MatchResult {
  /**
   * flags[d * A * T + a * T + t] for kept detection d: the A x T flags of a detection sit together, so that
   * accumulate, which walks detections in score order, reads one cache line per detection.
   */
  flags: Uint8Array;
  /** Non-ignored ground truths per (cell category kc, area range a): npig[kc * A + a]. */
  npig: Int32Array;
}

export function matchAll(
  index: CellIndex,
  iouThrs: readonly number[],
  areaRng: readonly (readonly [number, number])[],
): MatchResult {
  const T = iouThrs.length;
  const A = areaRng.length;
  const N = index.dtArea.length;
  const I = index.images;
  const Kc = index.cellCategories;
  const { gtStart, dtStart, gtArea, gtCrowd, gtIdNonZero, dtArea } = index;
  const AT = A * T;
  const flags = new Uint8Array(AT * N);
  const npig = new Int32Array(Kc * A);
  // Scratch buffers, grown as needed and reused across cells.
  let ious = new Float64Array(1024);
  let order = new Int32Array(64); // gt indices within the cell, non-ignored first (stable)
  let ignore = new Uint8Array(64); // ignore flag by position in `order`
  let crowd = new Uint8Array(64); // crowd flag by position in `order`
  let taken = new Uint8Array(64); // gtm[t, position] > 0
  const thresholds = iouThrs.map((t) => Math.min(t, 1 - 1e-10));

  for (let kc = 0; kc < Kc; kc++) {
    for (let i = 0; i < I; i++) {
      const c = kc * I + i;
      const g0 = gtStart[c];
      const G = gtStart[c + 1] - g0;
      const d0 = dtStart[c];
      const D = dtStart[c + 1] - d0;
      if (G === 0 && D === 0) continue; // evaluateImg returns None
      if (G === 0) {
        // No ground truth: nothing matches, and a detection is ignored at every threshold of the area ranges
        // its area is outside of (the general path below gives the same flags, T times slower).
        for (let d = 0; d < D; d++) {
          const ar = dtArea[d0 + d];
          const base = (d0 + d) * AT;
          for (let a = 0; a < A; a++) {
            if (ar < areaRng[a][0] || ar > areaRng[a][1]) flags.fill(IGNORED, base + a * T, base + a * T + T);
          }
        }
        continue;
      }
      if (G > order.length) {
        const size = Math.max(G, order.length * 2);
        order = new Int32Array(size);
        ignore = new Uint8Array(size);
        crowd = new Uint8Array(size);
        taken = new Uint8Array(size);
      }
      // maskUtils.iou returns [] when either side is empty: no matching at all then.
      const haveIous = G > 0 && D > 0;
      if (haveIous) {
        if (D * G > ious.length) ious = new Float64Array(Math.max(D * G, ious.length * 2));
        boxIouMatrix(index.dtBox, d0, D, index.gtBox, gtCrowd, g0, G, ious);
      }
      for (let a = 0; a < A; a++) {
        const lo = areaRng[a][0];
        const hi = areaRng[a][1];
        // gt['_ignore'], then np.argsort(_ignore, kind='mergesort'): kept gts first, ignored last, order kept.
        let n = 0;
        for (let g = 0; g < G; g++) {
          const ar = gtArea[g0 + g];
          if (!(gtCrowd[g0 + g] || ar < lo || ar > hi)) order[n++] = g;
        }
        npig[kc * A + a] += n;
        for (let g = 0; g < G; g++) {
          const ar = gtArea[g0 + g];
          if (gtCrowd[g0 + g] || ar < lo || ar > hi) order[n++] = g;
        }
        for (let p = 0; p < G; p++) {
          const g = order[p];
          const ar = gtArea[g0 + g];
          ignore[p] = gtCrowd[g0 + g] || ar < lo || ar > hi ? 1 : 0;
          crowd[p] = gtCrowd[g0 + g];
        }
        for (let t = 0; t < T; t++) {
          const base = d0 * AT + a * T + t; // flags of detection d at base + d * AT
          if (haveIous) {
            taken.fill(0, 0, G);
            for (let d = 0; d < D; d++) {
              let best = thresholds[t];
              let m = -1;
              const row = d * G;
              for (let p = 0; p < G; p++) {
                // a gt already matched is skipped unless it is a crowd region (a crowd absorbs many detections)
                if (taken[p] && !crowd[p]) continue;
                // once matched to a regular gt, ignored gts (sorted last) cannot replace it
                if (m > -1 && ignore[m] === 0 && ignore[p] === 1) break;
                const v = ious[row + order[p]];
                if (v < best) continue; // an equal IoU does replace the earlier gt, as in pycocotools
                best = v;
                m = p;
              }
              if (m === -1) continue;
              taken[m] = 1;
              flags[base + d * AT] = (ignore[m] ? IGNORED : 0) | (gtIdNonZero[g0 + order[m]] ? MATCHED : 0);
            }
          }
          // unmatched detections (dtm == 0) outside the area range are ignored
          for (let d = 0; d < D; d++) {
            const f = flags[base + d * AT];
            if ((f & MATCHED) === 0) {
              const ar = dtArea[d0 + d];
              if (ar < lo || ar > hi) flags[base + d * AT] = f | IGNORED;
            }
          }
        }
      }
    }
  }
  return { flags, npig };
}
