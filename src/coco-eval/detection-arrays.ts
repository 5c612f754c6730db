// Detections as flat typed arrays (one slot per detection): what a results file is scanned into and what the
// index phase reads, so that half a million detections cost five arrays, not half a million objects.
import type { CocoDetection } from './types.ts';

export interface DetectionArrays {
  count: number;
  imageId: Float64Array;
  categoryId: Float64Array;
  /** 4 per detection: x, y, w, h. */
  bbox: Float64Array;
  score: Float64Array;
}

export function emptyDetectionArrays(capacity: number): DetectionArrays {
  return {
    count: 0,
    imageId: new Float64Array(capacity),
    categoryId: new Float64Array(capacity),
    bbox: new Float64Array(capacity * 4),
    score: new Float64Array(capacity),
  };
}

/** The same arrays with room for at least `capacity` detections (the first `count` kept). */
export function grownDetectionArrays(a: DetectionArrays, capacity: number): DetectionArrays {
  const b = emptyDetectionArrays(capacity);
  b.count = a.count;
  b.imageId.set(a.imageId.subarray(0, a.count));
  b.categoryId.set(a.categoryId.subarray(0, a.count));
  b.bbox.set(a.bbox.subarray(0, a.count * 4));
  b.score.set(a.score.subarray(0, a.count));
  return b;
}

export function toDetectionArrays(detections: readonly CocoDetection[]): DetectionArrays {
  const a = emptyDetectionArrays(detections.length);
  for (let j = 0; j < detections.length; j++) {
    const d = detections[j];
    a.imageId[j] = d.image_id;
    a.categoryId[j] = d.category_id;
    a.bbox[j * 4] = d.bbox[0];
    a.bbox[j * 4 + 1] = d.bbox[1];
    a.bbox[j * 4 + 2] = d.bbox[2];
    a.bbox[j * 4 + 3] = d.bbox[3];
    a.score[j] = d.score;
  }
  a.count = detections.length;
  return a;
}

export function isDetectionArrays(d: readonly CocoDetection[] | DetectionArrays): d is DetectionArrays {
  return !Array.isArray(d);
}
