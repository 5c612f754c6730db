// Class-wise ("batched") non-maximum suppression, the torchvision.ops.batched_nms semantics that RetinaNet,
// NanoDet and YOLOX all use: boxes of different labels never suppress each other; a box is dropped when its
// IoU with a kept, higher-scoring box of the same label is strictly greater than the threshold.
import type { BoxList } from './boxes.ts';

/** IoU of boxes i and j of a flat corner array (torchvision box_iou: no +1 on widths). */
export function iou(boxes: Float32Array, i: number, j: number): number {
  const ax1 = boxes[4 * i], ay1 = boxes[4 * i + 1], ax2 = boxes[4 * i + 2], ay2 = boxes[4 * i + 3];
  const bx1 = boxes[4 * j], by1 = boxes[4 * j + 1], bx2 = boxes[4 * j + 2], by2 = boxes[4 * j + 3];
  const w = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const h = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Indices into `list` kept by class-wise NMS, by descending score, at most maxDetections of them. */
export function batchedNms(list: BoxList, iouThreshold: number, maxDetections: number): number[] {
  const order = Array.from({ length: list.count }, (_, i) => i);
  // Stable sort: equal scores keep their decode order.
  order.sort((a, b) => list.scores[b] - list.scores[a]);
  const keptByLabel = new Map<number, number[]>();
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length >= maxDetections) break;
    const label = list.labels[i];
    let same = keptByLabel.get(label);
    if (!same) {
      same = [];
      keptByLabel.set(label, same);
    }
    let suppressed = false;
    for (const j of same) {
      if (iou(list.boxes, i, j) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    same.push(i);
    kept.push(i);
  }
  return kept;
}

/** The sub-list at the given indices. */
export function selectBoxes(list: BoxList, indices: readonly number[]): BoxList {
  const boxes = new Float32Array(indices.length * 4);
  const scores = new Float32Array(indices.length);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, dst) => {
    boxes.set(list.boxes.subarray(4 * src, 4 * src + 4), 4 * dst);
    scores[dst] = list.scores[src];
    labels[dst] = list.labels[src];
  });
  return { boxes, scores, labels, count: indices.length };
}

/**
 * Indices of the k largest values among those passing `keep`, largest first (a bounded min-heap: O(n log k),
 * and O(n) when most values do not beat the current k-th, as with a zero-weight model's all-equal scores).
 * Ties keep the earlier index.
 */
export function topKIndices(values: Float32Array, k: number, start = 0, end = values.length, minValue = -Infinity): Int32Array {
  const heap = new Int32Array(Math.max(0, Math.min(k, end - start)));
  let size = 0;
  // Min-heap on (value, -index): the root is the weakest kept entry.
  const weaker = (a: number, b: number): boolean => values[a] < values[b] || (values[a] === values[b] && a > b);
  const siftDown = (pos: number): void => {
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= size) return;
      const r = l + 1;
      const m = r < size && weaker(heap[r], heap[l]) ? r : l;
      if (!weaker(heap[m], heap[pos])) return;
      const t = heap[m];
      heap[m] = heap[pos];
      heap[pos] = t;
      pos = m;
    }
  };
  for (let i = start; i < end; i++) {
    const v = values[i];
    if (!(v > minValue)) continue;
    if (size < heap.length) {
      let pos = size++;
      heap[pos] = i;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        if (!weaker(heap[pos], heap[parent])) break;
        const t = heap[parent];
        heap[parent] = heap[pos];
        heap[pos] = t;
        pos = parent;
      }
    } else if (size > 0 && v > values[heap[0]]) {
      heap[0] = i;
      siftDown(0);
    }
  }
  const out = Array.from(heap.subarray(0, size));
  out.sort((a, b) => values[b] - values[a] || a - b);
  return Int32Array.from(out);
}
