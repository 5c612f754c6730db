// Shapes of the data the COCO bbox evaluation reads and returns. Field names of the inputs follow the COCO
// json formats (snake_case) so that results files and pipeline output are the same objects.

/** A box as COCO writes it: [x, y, width, height] in pixels, top-left origin. */
export type BBox = [number, number, number, number];

/** One detection, as in a COCO results file. */
export interface CocoDetection {
  image_id: number;
  category_id: number;
  bbox: BBox;
  score: number;
}

/** One ground-truth annotation (only the fields the bbox protocol reads). */
export interface CocoGtAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: BBox;
  /** The annotation's own `area` (its mask area): area ranges use it, not the box. */
  area: number;
  iscrowd: boolean;
}

export interface CocoCategory {
  id: number;
  name: string;
}

/** A ground-truth file, validated; the image and category lists are sorted and unique as pycocotools uses them. */
/** An entry of the file's images list; file_name is what the detection pipeline opens. */
export interface CocoImage {
  id: number;
  fileName?: string;
}

export interface CocoGroundTruth {
  /** The file it came from (or a label), for error messages. */
  source: string;
  imageIds: number[];
  /** The images list by ascending id (file order among equal ids), the order pycocotools evaluates them in. */
  images: CocoImage[];
  categories: CocoCategory[];
  /** Annotations in file order (the order breaks ties in matching). */
  annotations: CocoGtAnnotation[];
}

/** pycocotools' Params for iouType 'bbox'. */
export interface CocoEvalParams {
  /** Images evaluated (default: every image of the ground truth). */
  imgIds?: number[];
  /** Categories evaluated (default: every category of the ground truth). */
  catIds?: number[];
  iouThrs: number[];
  recThrs: number[];
  /** Detections kept per image (and category), ascending; the last one is the cut before matching. */
  maxDets: number[];
  /** [min, max] of the annotation area, inclusive on both ends. */
  areaRng: [number, number][];
  areaRngLbl: string[];
  /** false: categories are pooled, as in proposal scoring. */
  useCats: boolean;
}

/** The names of the 12 numbers of COCOeval.summarize() for bbox, in its order. */
export const STAT_KEYS = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl'] as const;
export type StatKey = (typeof STAT_KEYS)[number];

/** The 12 numbers of COCOeval.summarize() for bbox; -1 where undefined (no ground truth in that setting). */
export type CocoStats = Record<StatKey, number>;

/** Interpolated precision at each recall threshold, averaged over the categories that have ground truth. */
export interface PrecisionRecallCurve {
  iouThreshold: number;
  recall: number[];
  /** -1 at recall points where no category has ground truth. */
  precision: number[];
}

/** Wall time of each phase, in milliseconds. */
export interface CocoEvalTimings {
  index: number;
  evaluate: number;
  accumulate: number;
  summarize: number;
}

export interface CocoEvalResult {
  stats: CocoStats;
  /** AP@[.50:.95] of each category (area all, the largest maxDets); -1 where the category has no ground truth. */
  perCategoryAP: Record<number, number>;
  /** One curve per IoU threshold (area all, the largest maxDets). */
  curves: PrecisionRecallCurve[];
  /** pycocotools' eval['precision'], C order [T, R, K, A, M]; -1 where undefined. */
  precision: Float64Array;
  /** pycocotools' eval['recall'], C order [T, K, A, M]; -1 where undefined. */
  recall: Float64Array;
  counts: { T: number; R: number; K: number; A: number; M: number };
  /** The parameters used, with imgIds and catIds filled in. */
  params: Required<CocoEvalParams>;
  timings: CocoEvalTimings;
}
