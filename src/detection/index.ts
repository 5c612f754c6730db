// The detection pipeline: images -> tensors at a chosen input size -> detector -> COCO detections -> mAP.
export { runDetection, detectOnly, modelAtSize, type DetectionRun, type RunDetectionOptions, type RunTiming } from './run.ts';
export { workerPreparer, type ImagePreparer, type PreparerStats } from './preparer.ts';
export { resolveCocoDir, listAnnotatedImages, type CocoDir } from './coco-dir.ts';
export { detectImages, type ImageJob } from './detect.ts';
export { createDetectorSession, type DetectorSession } from './session.ts';
export { prepareImage, resizeGeometry, toNchw, type PreparedInput, type ResizeSpec, type PixelFormat } from './image.ts';
export { getFamily, isFamilyName, FAMILY_NAMES, type FamilyName, type DetectorFamily, type DecodeOptions } from './families/index.ts';
