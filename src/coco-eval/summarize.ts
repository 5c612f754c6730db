// Summarize phase: pycocotools' summarize() for bbox (the 12 numbers), the AP of each category, and the
// precision-recall curves, from the accumulated [T, R, K, A, M] precision and [T, K, A, M] recall arrays.
import type { Accumulated } from './accumulate.ts';
import type { CocoEvalParams, CocoStats, PrecisionRecallCurve } from './types.ts';

/**
 * numpy's pairwise summation of float64 (pairwise_sum in numpy/core/src/umath/loops_utils.h.src: 8 partial sums
 * up to blocks of 128, halves above), so that means are the same doubles as np.mean's.
 */
export function pairwiseSum(a: Float64Array, from = 0, n = a.length): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[from + i];
    return res;
  }
  if (n <= 128) {
    const r = [a[from], a[from + 1], a[from + 2], a[from + 3], a[from + 4], a[from + 5], a[from + 6], a[from + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[from + i + j];
    let res = (r[0] + r[1] + (r[2] + r[3])) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[from + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
}

/**
 * np.sum as numpy 1.x computes it: its reduction iterator hands the add loop buffers of 8192 elements
 * (np.getbufsize()), each summed pairwise and added in turn. This reproduces the reference numbers of
 * pycocotools to the last bit (numpy 2 sums the whole array pairwise; the two differ by about 1e-17).
 */
export function numpySum(a: Float64Array): number {
  const BUFSIZE = 8192;
  let sum = 0;
  for (let from = 0; from < a.length; from += BUFSIZE) sum += pairwiseSum(a, from, Math.min(BUFSIZE, a.length - from));
  return sum;
}

/** np.mean(s[s > -1]), or -1 when no entry is > -1 (pycocotools' "undefined"). */
export function meanOfDefined(values: Float64Array): number {
  const kept = values.filter((v) => v > -1);
  return kept.length === 0 ? -1 : numpySum(kept) / kept.length;
}

interface Dims {
  T: number;
  R: number;
  K: number;
  A: number;
  M: number;
}

/** One summary setting, as _summarize(ap, iouThr, areaRng, maxDets) selects it. */
export interface SummarySetting {
  key: keyof CocoStats;
  ap: boolean;
  iouThr: number | null;
  areaRng: string;
  maxDets: number;
}

/** The 12 settings of _summarizeDets, in order. maxDets come from params.maxDets[0..2], except AP's literal 100. */
export function summarySettings(maxDets: readonly number[]): SummarySetting[] {
  const [m0, m1, m2] = [maxDets[0] ?? NaN, maxDets[1] ?? NaN, maxDets[2] ?? NaN];
  const s = (key: keyof CocoStats, ap: boolean, iouThr: number | null, areaRng: string, md: number): SummarySetting =>
    ({ key, ap, iouThr, areaRng, maxDets: md });
  return [
    s('AP', true, null, 'all', 100),
    s('AP50', true, 0.5, 'all', m2),
    s('AP75', true, 0.75, 'all', m2),
    s('APs', true, null, 'small', m2),
    s('APm', true, null, 'medium', m2),
    s('APl', true, null, 'large', m2),
    s('AR1', false, null, 'all', m0),
    s('AR10', false, null, 'all', m1),
    s('AR100', false, null, 'all', m2),
    s('ARs', false, null, 'small', m2),
    s('ARm', false, null, 'medium', m2),
    s('ARl', false, null, 'large', m2),
  ];
}

/** The values of one setting, in numpy's C order of s[t][, r][, k] (after fixing area and maxDets). */
function selectSetting(acc: Accumulated, params: CocoEvalParams, d: Dims, setting: SummarySetting): Float64Array {
  const indices = (n: number, keep: (i: number) => boolean): number[] => Array.from({ length: n }, (_, i) => i).filter(keep);
  const tList = indices(d.T, (t) => setting.iouThr === null || params.iouThrs[t] === setting.iouThr);
  const aList = indices(d.A, (a) => params.areaRngLbl[a] === setting.areaRng);
  const mList = indices(d.M, (m) => params.maxDets[m] === setting.maxDets);
  const inner = aList.length * mList.length;
  const out = new Float64Array(tList.length * (setting.ap ? d.R : 1) * d.K * inner);
  let o = 0;
  for (const t of tList) {
    for (let r = 0; r < (setting.ap ? d.R : 1); r++) {
      for (let k = 0; k < d.K; k++) {
        for (const a of aList) {
          for (const m of mList) {
            out[o++] = setting.ap
              ? acc.precision[(((t * d.R + r) * d.K + k) * d.A + a) * d.M + m]
              : acc.recall[((t * d.K + k) * d.A + a) * d.M + m];
          }
        }
      }
    }
  }
  return out;
}

export function summarizeStats(acc: Accumulated, params: CocoEvalParams, d: Dims): CocoStats {
  const stats = {} as CocoStats;
  for (const setting of summarySettings(params.maxDets)) stats[setting.key] = meanOfDefined(selectSetting(acc, params, d, setting));
  return stats;
}

/** Index of area range 'all' (0 if unnamed) and of the largest maxDets: the setting of AP per category. */
function allAreaLastMaxDet(params: CocoEvalParams, d: Dims): { a: number; m: number } {
  const a = params.areaRngLbl.indexOf('all');
  return { a: a >= 0 ? a : 0, m: d.M - 1 };
}

/** AP@[.50:.95] of each category: np.mean(precision[:, :, k, all, last]) over entries > -1; -1 without ground truth. */
export function perCategoryAP(acc: Accumulated, params: CocoEvalParams, catIds: readonly number[], d: Dims): Record<number, number> {
  const { a, m } = allAreaLastMaxDet(params, d);
  const out: Record<number, number> = {};
  const values = new Float64Array(d.T * d.R);
  catIds.forEach((catId, k) => {
    for (let t = 0; t < d.T; t++)
      for (let r = 0; r < d.R; r++) values[t * d.R + r] = acc.precision[(((t * d.R + r) * d.K + k) * d.A + a) * d.M + m];
    out[catId] = meanOfDefined(values);
  });
  return out;
}

/** Precision at each recall threshold, per IoU threshold, averaged over the categories where it is defined. */
export function precisionRecallCurves(acc: Accumulated, params: CocoEvalParams, d: Dims): PrecisionRecallCurve[] {
  const { a, m } = allAreaLastMaxDet(params, d);
  const values = new Float64Array(d.K);
  return params.iouThrs.map((iouThreshold, t) => ({
    iouThreshold,
    recall: [...params.recThrs],
    precision: params.recThrs.map((_, r) => {
      for (let k = 0; k < d.K; k++) values[k] = acc.precision[(((t * d.R + r) * d.K + k) * d.A + a) * d.M + m];
      return meanOfDefined(values);
    }),
  }));
}
