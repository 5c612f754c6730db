// Candidate boxes between a family's decoder and the COCO results: flat typed arrays, one entry per box.
import type { BoxTransform } from './image.ts';

/** A box coordinate clamped to [0, max] (NanoDet's and RetinaNet's decoders clip to the input). */
export function clampCoord(v: number, max: number): number {
  return v < 0 ? 0 : v > max ? max : v;
}

/** Boxes as corners (x1, y1, x2, y2) in `boxes[4i..4i+3]`, with a score and a label per box. */
export interface BoxList {
  boxes: Float32Array;
  scores: Float32Array;
  labels: Int32Array;
  count: number;
}

/** A growable BoxList builder. */
export class BoxListBuilder {
  private boxes: Float32Array;
  private scores: Float32Array;
  private labels: Int32Array;
  count = 0;

  constructor(capacity = 256) {
    this.boxes = new Float32Array(capacity * 4);
    this.scores = new Float32Array(capacity);
    this.labels = new Int32Array(capacity);
  }

  push(x1: number, y1: number, x2: number, y2: number, score: number, label: number): void {
    if (this.count === this.scores.length) this.grow();
    const i = this.count++;
    this.boxes[4 * i] = x1;
    this.boxes[4 * i + 1] = y1;
    this.boxes[4 * i + 2] = x2;
    this.boxes[4 * i + 3] = y2;
    this.scores[i] = score;
    this.labels[i] = label;
  }

  build(): BoxList {
    return {
      boxes: this.boxes.subarray(0, 4 * this.count),
      scores: this.scores.subarray(0, this.count),
      labels: this.labels.subarray(0, this.count),
      count: this.count,
    };
  }

  private grow(): void {
    const capacity = this.scores.length * 2;
    const boxes = new Float32Array(capacity * 4);
    boxes.set(this.boxes);
    const scores = new Float32Array(capacity);
    scores.set(this.scores);
    const labels = new Int32Array(capacity);
    labels.set(this.labels);
    this.boxes = boxes;
    this.scores = scores;
    this.labels = labels;
  }
}

/** A detection in original image coordinates, COCO bbox layout [x, y, w, h]. */
export interface ImageDetection {
  bbox: [number, number, number, number];
  score: number;
  categoryId: number;
}

/**
 * Input coordinates -> image coordinates, optionally clipped to the image (torchvision and NanoDet clip,
 * YOLOX does not), as COCO [x, y, w, h]. `categoryOf` maps a family label to a COCO id (undefined drops it).
 */
export function toImageDetections(
  list: BoxList,
  transform: BoxTransform,
  categoryOf: (label: number) => number | undefined,
  clip: boolean,
): ImageDetection[] {
  const out: ImageDetection[] = [];
  for (let i = 0; i < list.count; i++) {
    const categoryId = categoryOf(list.labels[i]);
    if (categoryId === undefined) continue;
    let x1 = (list.boxes[4 * i] - transform.offsetX) / transform.scaleX;
    let y1 = (list.boxes[4 * i + 1] - transform.offsetY) / transform.scaleY;
    let x2 = (list.boxes[4 * i + 2] - transform.offsetX) / transform.scaleX;
    let y2 = (list.boxes[4 * i + 3] - transform.offsetY) / transform.scaleY;
    if (clip) {
      x1 = Math.min(Math.max(x1, 0), transform.imageWidth);
      x2 = Math.min(Math.max(x2, 0), transform.imageWidth);
      y1 = Math.min(Math.max(y1, 0), transform.imageHeight);
      y2 = Math.min(Math.max(y2, 0), transform.imageHeight);
    }
    out.push({ bbox: [round2(x1), round2(y1), round2(x2 - x1), round2(y2 - y1)], score: round5(list.scores[i]), categoryId });
  }
  return out;
}

// Results files keep 2 decimals for coordinates and 5 for scores (as detectron2/mmdet json dumps are precise
// enough at this resolution); smaller files, no effect on AP.
function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
function round5(v: number): number {
  return Math.round(v * 1e5) / 1e5;
}
