// Index phase: groups detections and ground truth by evaluation cell (category x image) once, into flat typed
// arrays, in the orders pycocotools' evaluateImg uses:
//   - ground truth of a cell in file order (COCO.getAnnIds walks imgToAnns, which keeps file order);
//   - detections of a cell by score descending with a stable sort (np.argsort(-score, kind='mergesort')), cut to
//     the largest maxDets before matching.
// Cells are laid out category-major, images in ascending id order: the order in which accumulate() concatenates
// them. With useCats false there is one pooled "category" and a cell lists its categories in catIds order.
import { isDetectionArrays, toDetectionArrays, type DetectionArrays } from './detection-arrays.ts';
import { idLookup } from './id-lookup.ts';
import type { CocoDetection, CocoGroundTruth } from './types.ts';

/** Flat per-cell arrays; cell c covers [start[c], start[c + 1]). */
export interface CellIndex {
  /** Number of images (I) and of category cells (Kc: catIds.length, or 1 when categories are pooled). */
  images: number;
  cellCategories: number;
  /** Ground truth: box, annotation area, crowd flag, and whether its id is non-zero (pycocotools' dtm truthiness). */
  gtStart: Int32Array;
  gtBox: Float64Array; // 4 per gt: x, y, w, h
  gtArea: Float64Array;
  gtCrowd: Uint8Array;
  gtIdNonZero: Uint8Array;
  /** Kept detections (at most maxDet per cell), score-descending within a cell. */
  dtStart: Int32Array;
  dtBox: Float64Array;
  dtArea: Float64Array;
  dtScore: Float64Array;
  /** Rank of the detection within its cell (0 = highest score). */
  dtRank: Int32Array;
}

/**
 * Stable counting sort of items by key in [0, keys): returns the item indices grouped by key and the start of
 * each key's group (length keys + 1).
 */
function groupByKey(keyOf: Int32Array, keys: number): { order: Int32Array; start: Int32Array } {
  const start = new Int32Array(keys + 1);
  let n = 0;
  for (let i = 0; i < keyOf.length; i++) if (keyOf[i] >= 0) { start[keyOf[i] + 1]++; n++; }
  for (let k = 0; k < keys; k++) start[k + 1] += start[k];
  const fill = start.slice(0, keys);
  const order = new Int32Array(n);
  for (let i = 0; i < keyOf.length; i++) if (keyOf[i] >= 0) order[fill[keyOf[i]]++] = i;
  return { order, start };
}

/**
 * Sorts the first n items by descending score, keeping the given order among equal scores (what
 * np.argsort(-score, kind='mergesort') does): insertion sort for the usual handful, a sort beyond. Items come in
 * ascending order, so the item itself breaks ties.
 */
function sortByScoreStable(items: Int32Array, n: number, score: Float64Array): void {
  if (n > 32) {
    items.subarray(0, n).sort((x, y) => score[y] - score[x] || x - y);
    return;
  }
  for (let i = 1; i < n; i++) {
    const item = items[i];
    const s = score[item];
    let j = i - 1;
    while (j >= 0 && score[items[j]] < s) {
      items[j + 1] = items[j];
      j--;
    }
    items[j + 1] = item;
  }
}

export function buildCellIndex(
  gt: CocoGroundTruth,
  detections: readonly CocoDetection[] | DetectionArrays,
  imgIds: readonly number[],
  catIds: readonly number[],
  useCats: boolean,
  maxDet: number,
): CellIndex {
  const I = imgIds.length;
  const K = catIds.length;
  const Kc = useCats ? K : 1;
  const imageIndex = idLookup(imgIds);
  const categoryIndex = idLookup(catIds);
  // Fine key: image-major (i * K + k) so that a pooled cell's categories are contiguous, in catIds order.
  const fineKey = (imageId: number, categoryId: number): number => {
    const i = imageIndex(imageId);
    const k = categoryIndex(categoryId);
    return i < 0 || k < 0 ? -1 : i * K + k;
  };
  // Fine-key ranges [lo, hi) of cell (kc, i), in cell order (category-major, then image).
  const cellCount = Kc * I;
  const cellLo = new Int32Array(cellCount);
  const cellHi = new Int32Array(cellCount);
  for (let kc = 0; kc < Kc; kc++) {
    for (let i = 0; i < I; i++) {
      const c = kc * I + i;
      cellLo[c] = useCats ? i * K + kc : i * K;
      cellHi[c] = useCats ? i * K + kc + 1 : i * K + K;
    }
  }

  // Ground truth, file order within a cell.
  const anns = gt.annotations;
  const gtKeys = new Int32Array(anns.length);
  for (let j = 0; j < anns.length; j++) gtKeys[j] = fineKey(anns[j].image_id, anns[j].category_id);
  const gtGroups = groupByKey(gtKeys, I * K);
  const nGt = gtGroups.order.length;
  const gtStart = new Int32Array(cellCount + 1);
  const gtBox = new Float64Array(nGt * 4);
  const gtArea = new Float64Array(nGt);
  const gtCrowd = new Uint8Array(nGt);
  const gtIdNonZero = new Uint8Array(nGt);
  let g = 0;
  for (let c = 0; c < cellCount; c++) {
    gtStart[c] = g;
    for (let p = gtGroups.start[cellLo[c]]; p < gtGroups.start[cellHi[c]]; p++, g++) {
      const a = anns[gtGroups.order[p]];
      gtBox.set(a.bbox, g * 4);
      gtArea[g] = a.area;
      gtCrowd[g] = a.iscrowd ? 1 : 0;
      gtIdNonZero[g] = a.id !== 0 ? 1 : 0;
    }
  }
  gtStart[cellCount] = g;

  // Detections: file order within a cell, then a stable sort by descending score, then the maxDet cut.
  const dets = isDetectionArrays(detections) ? detections : toDetectionArrays(detections);
  const dtKeys = new Int32Array(dets.count);
  for (let j = 0; j < dets.count; j++) dtKeys[j] = fineKey(dets.imageId[j], dets.categoryId[j]);
  const dtGroups = groupByKey(dtKeys, I * K);
  const nAll = dtGroups.order.length;
  const dtStart = new Int32Array(cellCount + 1);
  const dtBox = new Float64Array(nAll * 4);
  const dtArea = new Float64Array(nAll);
  const dtScore = new Float64Array(nAll);
  const dtRank = new Int32Array(nAll);
  const score = dets.score;
  const boxes = dets.bbox;
  let cell = new Int32Array(256);
  let d = 0;
  for (let c = 0; c < cellCount; c++) {
    dtStart[c] = d;
    const lo = dtGroups.start[cellLo[c]];
    const n = dtGroups.start[cellHi[c]] - lo;
    if (n === 0) continue;
    if (n > cell.length) cell = new Int32Array(Math.max(n, cell.length * 2));
    for (let q = 0; q < n; q++) cell[q] = dtGroups.order[lo + q]; // no subarray object per cell
    sortByScoreStable(cell, n, score);
    const kept = Math.min(n, maxDet);
    for (let r = 0; r < kept; r++, d++) {
      const j = cell[r];
      const w = boxes[j * 4 + 2];
      const h = boxes[j * 4 + 3];
      dtBox[d * 4] = boxes[j * 4];
      dtBox[d * 4 + 1] = boxes[j * 4 + 1];
      dtBox[d * 4 + 2] = w;
      dtBox[d * 4 + 3] = h;
      dtArea[d] = w * h; // COCO.loadRes: area = bb[2] * bb[3]
      dtScore[d] = score[j];
      dtRank[d] = r;
    }
  }
  dtStart[cellCount] = d;
  return {
    images: I,
    cellCategories: Kc,
    gtStart,
    gtBox,
    gtArea,
    gtCrowd,
    gtIdNonZero,
    dtStart,
    dtBox: dtBox.subarray(0, d * 4),
    dtArea: dtArea.subarray(0, d),
    dtScore: dtScore.subarray(0, d),
    dtRank: dtRank.subarray(0, d),
  };
}
