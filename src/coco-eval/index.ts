// COCO bbox evaluation: a port of pycocotools' COCOeval (iouType 'bbox') on typed arrays.
export { loadGroundTruth, parseGroundTruth, readAnnotations, type AnnotationsFile } from './ground-truth.ts';
export { loadResultArrays, loadResults, parseResults } from './results.ts';
export { toDetectionArrays, type DetectionArrays } from './detection-arrays.ts';
export { evaluateBbox } from './evaluate.ts';
export { defaultParams, linspace } from './params.ts';
export { summaryLines, formatFixed } from './format.ts';
export { STAT_KEYS } from './types.ts';
export type {
  BBox,
  CocoCategory,
  CocoDetection,
  CocoEvalParams,
  CocoEvalResult,
  CocoEvalTimings,
  CocoGroundTruth,
  CocoGtAnnotation,
  CocoImage,
  CocoStats,
  StatKey,
  PrecisionRecallCurve,
} from './types.ts';
