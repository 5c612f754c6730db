// Re-accumulation of the COCO stats for a resampled image list, from per-image matches made once. An image drawn
// k times by the bootstrap contributes k times: its detections count k true or false positives and its ground
// truth k times in npig. This is what accumulate() computes on the image list with the image repeated, except
// that the copies of an image are taken as adjacent in the image order. A detection drawn k times is then a run
// of k equal steps, counted at once: within a run of true positives precision only rises and the envelope takes
// the maximum to the right, so the interpolated precision is the same. Tied scores of one image are the
// exception (copies interleave: d1 d2 d1 d2): such blocks are replayed copy by copy.
//
// Only what the 12 summary numbers read is computed: precision at the largest maxDets (pycocotools' AP rows use
// it: the literal 100 and maxDets[2] of the default parameters) and recall at every maxDets. Detections are
// coded per area range as ignored / a false positive at every IoU threshold / other, so that the common
// "false positive everywhere" case costs one addition instead of T.
import type { CellIndex } from './cell-index.ts';
import { IGNORED as IGNORED_FLAG, MATCHED as MATCHED_FLAG, type MatchResult } from './match.ts';
import { summarySettings } from './summarize.ts';
import type { CocoEvalParams, CocoStats } from './types.ts';

const EPS = 2.220446049250313e-16;
// Module-level copies: an imported binding may be read through a getter (tsx/esbuild's ESM shims), which cost
// a third of the replicate loop.
const MATCHED: number = MATCHED_FLAG;
const IGNORED: number = IGNORED_FLAG;
const CODE_IGNORED = 0;
const CODE_FP = 1;
const CODE_MIXED = 2;

/** The per-image matches of one evaluation, laid out for fast re-accumulation. */
export interface Resampler {
  images: number;
  /** Recomputes the 12 stats with image i counted weights[i] times (0: left out). */
  stats(weights: Int32Array): CocoStats;
}

export function makeResampler(index: CellIndex, matches: MatchResult, params: Required<CocoEvalParams>): Resampler {
  const I = index.images;
  const K = index.cellCategories;
  const T = params.iouThrs.length;
  const A = params.areaRng.length;
  const R = params.recThrs.length;
  const maxDets = params.maxDets;
  const M = maxDets.length;
  const AT = A * T;
  const lastMaxDet = maxDets[M - 1]!;
  const settings = summarySettings(maxDets);
  for (const s of settings) {
    if (s.ap && s.maxDets !== lastMaxDet) throw new Error(`resampling: AP at maxDets ${s.maxDets} needs the largest maxDets (${lastMaxDet})`);
  }
  const { flags } = matches;
  const { dtStart, dtScore, dtRank, gtStart, gtArea, gtCrowd } = index;

  // Detections of each category in the merged (score-descending, stable) order of accumulate().
  const total = dtStart[K * I]!;
  const detPos = new Int32Array(total);
  const detImage = new Int32Array(total);
  const catStart = new Int32Array(K + 1);
  for (let k = 0; k < K; k++) {
    const start = dtStart[k * I]!;
    const end = dtStart[(k + 1) * I]!;
    catStart[k] = start;
    const order = new Int32Array(end - start);
    for (let j = 0; j < order.length; j++) order[j] = start + j;
    order.sort((x, y) => dtScore[y]! - dtScore[x]! || x - y);
    detPos.set(order, start);
  }
  catStart[K] = total;
  const imageOfPos = new Int32Array(total);
  for (let c = 0; c < K * I; c++) for (let d = dtStart[c]!; d < dtStart[c + 1]!; d++) imageOfPos[d] = c % I;
  const code = new Uint8Array(total * A);
  for (let n = 0; n < total; n++) detImage[n] = imageOfPos[detPos[n]!]!;
  // blockEnd[n] > n + 1 where n starts a run of equal scores of one image (within a category), else n + 1
  const blockEnd = new Int32Array(total);
  for (let k = 0; k < K; k++) {
    for (let n = catStart[k]!; n < catStart[k + 1]!; ) {
      let end = n + 1;
      while (end < catStart[k + 1]! && detImage[end] === detImage[n] && dtScore[detPos[end]!] === dtScore[detPos[n]!]) end++;
      for (let j = n; j < end; j++) blockEnd[j] = j + 1;
      blockEnd[n] = end;
      n = end;
    }
  }
  for (let n = 0; n < total; n++) {
    const pos = detPos[n]!;
    for (let a = 0; a < A; a++) {
      let ignored = true;
      let fpEverywhere = true;
      for (let t = 0; t < T; t++) {
        const f = flags[pos * AT + a * T + t]!;
        if (!(f & IGNORED)) ignored = false;
        if (f & IGNORED || f & MATCHED) fpEverywhere = false;
      }
      code[n * A + a] = ignored ? CODE_IGNORED : fpEverywhere ? CODE_FP : CODE_MIXED;
    }
  }

  // Non-ignored ground truth per image and (category, area range), sparse: (image, k * A + a, count).
  const gtImage: number[] = [];
  const gtCell: number[] = [];
  const gtCount: number[] = [];
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < I; i++) {
      const c = k * I + i;
      for (let a = 0; a < A; a++) {
        const [lo, hi] = params.areaRng[a]!;
        let n = 0;
        for (let g = gtStart[c]!; g < gtStart[c + 1]!; g++) {
          const ar = gtArea[g]!;
          if (!(gtCrowd[g] || ar < lo || ar > hi)) n++;
        }
        if (n > 0) {
          gtImage.push(i);
          gtCell.push(k * A + a);
          gtCount.push(n);
        }
      }
    }
  }
  const gtImageArr = Int32Array.from(gtImage);
  const gtCellArr = Int32Array.from(gtCell);
  const gtCountArr = Int32Array.from(gtCount);

  // Per (category, area range): the non-ignored detections in merged order as items. A run of detections that
  // are false positives at every IoU threshold is one item (its false positives are the sum of its images'
  // weights); any other detection is an item of its own; a tie block of one image holding such a detection is
  // one item replayed copy by copy.
  const runImages: number[] = []; // image of each detection inside FP runs
  const itemKind: number[] = []; // 0: FP run [itemA, itemB) of runImages; 1: detection n = itemA; 2: tie block [itemA, itemB) of merged indices
  const itemA: number[] = [];
  const itemB: number[] = [];
  const kaItems = new Int32Array(K * A + 1);
  for (let k = 0; k < K; k++) {
    for (let a = 0; a < A; a++) {
      kaItems[k * A + a] = itemKind.length;
      let runStart = -1;
      const closeRun = (): void => {
        if (runStart >= 0 && runImages.length > runStart) { itemKind.push(0); itemA.push(runStart); itemB.push(runImages.length); }
        runStart = -1;
      };
      for (let n = catStart[k]!; n < catStart[k + 1]!; ) {
        const end = blockEnd[n]!;
        let mixedInBlock = false;
        for (let j = n; j < end; j++) if (code[j * A + a] === CODE_MIXED) mixedInBlock = true;
        if (end > n + 1 && mixedInBlock) {
          closeRun();
          itemKind.push(2); itemA.push(n); itemB.push(end);
          n = end;
          continue;
        }
        for (let j = n; j < end; j++) {
          const c = code[j * A + a]!;
          if (c === CODE_IGNORED) continue;
          if (c === CODE_FP) {
            if (runStart < 0) runStart = runImages.length;
            runImages.push(detImage[j]!);
          } else {
            closeRun();
            itemKind.push(1); itemA.push(j); itemB.push(j + 1);
          }
        }
        n = end;
      }
      closeRun();
    }
  }
  kaItems[K * A] = itemKind.length;
  const runImg = Int32Array.from(runImages);
  const kind = Uint8Array.from(itemKind);
  const iA = Int32Array.from(itemA);
  const iB = Int32Array.from(itemB);
  // first maxDets index m whose cut keeps the detection (rank < maxDets[m]), M if none
  const firstM = new Uint8Array(total);
  for (let n = 0; n < total; n++) {
    let m = 0;
    while (m < M && dtRank[detPos[n]!]! >= maxDets[m]!) m++;
    firstM[n] = m;
  }
  /** How many recall thresholds are <= x (recThrs ascending): a guess from an even spacing, then corrected. */
  const recThrs = Float64Array.from(params.recThrs);
  const first = recThrs[0] ?? 0;
  const spacing = R > 1 ? (recThrs[R - 1]! - first) / (R - 1) : 1;
  const thresholdsUpTo = (x: number): number => {
    let c = Math.min(R, Math.max(0, Math.floor((x - first) / spacing) + 1));
    while (c < R && recThrs[c]! <= x) c++;
    while (c > 0 && recThrs[c - 1]! > x) c--;
    return c;
  };

  let evRc = new Float64Array(0);
  let evPr = new Float64Array(0);
  const events = new Int32Array(T);
  const tp = new Float64Array(T);
  const fp = new Float64Array(T);
  const tpM = new Float64Array(M * T); // true positives within the first maxDets[m] of their image
  const npig = new Float64Array(K * A);
  const precSum = new Float64Array(AT); // sum over defined categories and recall thresholds, per (a, t)
  const recSum = new Float64Array(M * AT); // sum over defined categories of the final recall, per (m, a, t)
  const defined = new Int32Array(A); // categories with ground truth, per area range

  function stats(weights: Int32Array): CocoStats {
    if (weights.length !== I) throw new Error(`resampling: ${weights.length} weights for ${I} images`);
    npig.fill(0);
    for (let e = 0; e < gtImageArr.length; e++) npig[gtCellArr[e]!] += weights[gtImageArr[e]!]! * gtCountArr[e]!;
    precSum.fill(0);
    recSum.fill(0);
    defined.fill(0);
    for (let k = 0; k < K; k++) {
      for (let a = 0; a < A; a++) {
        const ka = k * A + a;
        const gtCountKA = npig[ka]!;
        if (gtCountKA === 0) continue;
        defined[a]++;
        // each true positive takes a distinct non-ignored ground truth: at most npig events per IoU threshold
        const cap = gtCountKA;
        if (T * cap > evRc.length) {
          evRc = new Float64Array(T * cap * 2);
          evPr = new Float64Array(T * cap * 2);
        }
        tp.fill(0);
        fp.fill(0);
        tpM.fill(0);
        events.fill(0);
        let fpAll = 0; // false positives at every IoU threshold
        for (let it = kaItems[ka]!; it < kaItems[ka + 1]!; it++) {
          const kd = kind[it]!;
          if (kd === 0) {
            let sum = 0;
            for (let j = iA[it]!; j < iB[it]!; j++) sum += weights[runImg[j]!]!;
            fpAll += sum;
            continue;
          }
          // a detection counted w times at once, or a tie block replayed w times one copy at a time
          const weight = weights[detImage[iA[it]!]!]!;
          if (weight === 0) continue;
          const w = kd === 1 ? weight : 1;
          const copies = kd === 1 ? 1 : weight;
          for (let copy = 0; copy < copies; copy++) {
            for (let n = iA[it]!; n < iB[it]!; n++) {
              const c = code[n * A + a]!;
              if (c === CODE_IGNORED) continue;
              if (c === CODE_FP) { fpAll += w; continue; }
              const base = detPos[n]! * AT + a * T;
              const m0 = firstM[n]!;
              for (let t = 0; t < T; t++) {
                const f = flags[base + t]!;
                if (f & IGNORED) continue;
                if (f & MATCHED) {
                  const nTp = (tp[t] += w);
                  for (let m = m0; m < M; m++) tpM[m * T + t] += w;
                  const e = t * cap + events[t]++;
                  evRc[e] = nTp / gtCountKA;
                  evPr[e] = nTp / (fp[t]! + fpAll + nTp + EPS);
                } else {
                  fp[t] += w;
                }
              }
            }
          }
        }
        for (let t = 0; t < T; t++) {
          const at = a * T + t;
          for (let m = 0; m < M; m++) recSum[m * AT + at] += tpM[m * T + t]! / gtCountKA;
          const from = t * cap;
          const nTp = events[t]!;
          if (nTp === 0) continue; // precision 0 at every recall threshold
          for (let e = from + nTp - 1; e > from; e--) if (evPr[e]! > evPr[e - 1]!) evPr[e - 1] = evPr[e]!;
          // recall threshold r reads the first event whose recall reaches it (np.searchsorted, side='left'):
          // event e serves the thresholds in (rc[e-1], rc[e]]; thresholds past the last recall read 0
          let sum = 0;
          let below = 0;
          for (let e = 0; e < nTp; e++) {
            const upTo = thresholdsUpTo(evRc[from + e]!);
            sum += (upTo - below) * evPr[from + e]!;
            below = upTo;
          }
          precSum[at] += sum;
        }
      }
    }
    const out = {} as CocoStats;
    for (const s of settings) {
      const a = params.areaRngLbl.indexOf(s.areaRng);
      const m = maxDets.indexOf(s.maxDets);
      const ts = s.iouThr === null ? params.iouThrs.map((_, t) => t) : params.iouThrs.flatMap((v, t) => (v === s.iouThr ? [t] : []));
      if (a < 0 || m < 0 || ts.length === 0 || defined[a] === 0) {
        out[s.key] = -1;
        continue;
      }
      let sum = 0;
      for (const t of ts) sum += s.ap ? precSum[a * T + t]! : recSum[m * AT + a * T + t]!;
      out[s.key] = sum / (ts.length * defined[a]! * (s.ap ? R : 1));
    }
    return out;
  }

  return { images: I, stats };
}
