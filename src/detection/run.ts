// runDetection: a model, a family and a COCO folder in; COCO detections, mAP, MACs and timing out.
import { basename, join } from 'node:path';
import { evaluateBbox, loadGroundTruth } from '../coco-eval/index.ts';
import type { CocoDetection, CocoGroundTruth, CocoStats } from '../coco-eval/types.ts';
import { InputError } from '../errors.ts';
import { loadModel } from '../onnx/model-io.ts';
import { exportSize, imageInputName } from '../onnx/image-input.ts';
import type { Model } from '../onnx/proto.ts';
import { profileModel } from '../profiler/index.ts';
import { withInputSize } from '../onnx/input-size.ts';
import { listAnnotatedImages } from './coco-dir.ts';
import { detectImages, emptyLoopTiming, type LoopTiming } from './detect.ts';
import { getFamily, type DecodeOptions, type DetectorFamily, type FamilyName } from './families/index.ts';
import { workerPreparer, type ImagePreparer } from './preparer.ts';
import { createDetectorSession, type DetectorSession } from './session.ts';

export interface RunDetectionOptions {
  /** A model file, or a model already in memory (a variant). */
  modelPath: string | Model;
  family: FamilyName;
  imagesDir: string;
  annotationsPath: string;
  /** Input size: the side of NanoDet/YOLOX's square input, RetinaNet's shorter side (default: the family's). */
  size?: number;
  /** Only the first N images (by id); the evaluation is restricted to them. */
  limit?: number;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /** Overrides of the family's post-processing thresholds. */
  decode?: Partial<DecodeOptions>;
  onProgress?: (done: number, total: number) => void;
  /** A preparer that outlives this run (a sweep's, with its decoded-image cache); default: one of its own. */
  preparer?: ImagePreparer;
}

/** Where a run's time went, in seconds (see LoopTiming); `session` is onnxruntime's model loading. */
export interface RunTiming extends LoopTiming {
  session: number;
}

export interface DetectionRun {
  model: string;
  family: FamilyName;
  size: number;
  /** Images run and evaluated. */
  images: number;
  /** Wall time of the image loop (decode, inference, post-processing), without model loading or scoring. */
  seconds: number;
  /** Multiply-adds of one inference at `macsInput` (1 MAC = 2 FLOPs). */
  macs: number;
  flops: number;
  /** The input shape the MACs are counted at ([1, 3, S, S]; RetinaNet: [1, 3, S, 1.5 S] padded to 32). */
  macsInput: number[];
  detections: CocoDetection[];
  stats: CocoStats;
  perCategoryAP: Record<number, number>;
}

/** The graph to run at `size`: static exports are rewritten when the size differs from theirs. */
export function modelAtSize(model: Model, family: DetectorFamily, size: number): Model {
  if (!family.staticInput) return model;
  const [height, width] = family.representativeInput(size);
  return withInputSize(model, height, width);
}

/** What one pass over the images gives: the graph run, its size, the images and their detections. */
interface ImagesRun {
  family: DetectorFamily;
  label: string;
  size: number;
  model: Model;
  jobs: { id: number; path: string }[];
  detections: CocoDetection[];
  seconds: number;
  timing: RunTiming;
  /** The ground truth, loaded (and so validated) once, before the run: it also lists the images. */
  gt: CocoGroundTruth;
}

async function runImages(options: RunDetectionOptions): Promise<ImagesRun> {
  const family = getFamily(options.family);
  const label = typeof options.modelPath === 'string' ? options.modelPath : (options.modelPath.graph.name || '<in-memory model>');
  const source = typeof options.modelPath === 'string' ? loadModel(options.modelPath) : options.modelPath;
  const size = options.size ?? (family.staticInput ? exportSize(source) : undefined) ?? family.defaultSize;
  if (!Number.isInteger(size) || size <= 0) throw new InputError(`--size ${size}: must be a positive integer`);
  if (family.staticInput && size % 32 !== 0) throw new InputError(`--size ${size}: ${family.name} runs at multiples of 32`);
  const model = modelAtSize(source, family, size);

  const gt = loadGroundTruth(options.annotationsPath);
  let entries = listAnnotatedImages(gt);
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit <= 0) throw new InputError(`--limit ${options.limit}: must be a positive integer`);
    entries = entries.slice(0, options.limit);
  }
  const jobs = entries.map((e) => ({ id: e.id, path: join(options.imagesDir, e.fileName) }));

  // The image worker boots (tsx, sharp) while onnxruntime loads the model; neither is timed.
  const preparer = options.preparer ?? workerPreparer();
  let session: DetectorSession | undefined;
  let detections: CocoDetection[];
  let seconds: number;
  const timing: RunTiming = { ...emptyLoopTiming(), session: 0 };
  try {
    const t0 = performance.now();
    session = await createDetectorSession(model, label, options.threads ?? 1);
    timing.session = (performance.now() - t0) / 1000;
    await preparer.ready;
    const started = performance.now();
    detections = await detectImages(session, jobs, {
      family,
      size,
      decode: { ...family.defaults, ...options.decode },
      modelLabel: label,
      onProgress: options.onProgress,
      preparer,
      timing,
    });
    seconds = (performance.now() - started) / 1000;
  } finally {
    await session?.release();
    if (!options.preparer) await preparer.close();
  }
  return { family, label, size, model, jobs, detections, seconds, timing, gt };
}

/**
 * The detections alone (no scoring, no MACs count): what a sweep shard needs, since the sweep scores the
 * whole point once and profiles it once.
 */
export async function detectOnly(options: RunDetectionOptions): Promise<{ detections: CocoDetection[]; images: number; seconds: number; timing: RunTiming }> {
  const run = await runImages(options);
  return { detections: run.detections, images: run.jobs.length, seconds: run.seconds, timing: run.timing };
}

export async function runDetection(options: RunDetectionOptions): Promise<DetectionRun> {
  const { family, label, size, model, jobs, detections, seconds, gt } = await runImages(options);
  const evaluation = evaluateBbox(gt, detections, { imgIds: jobs.map((j) => j.id) });
  const [height, width] = family.representativeInput(size);
  const macsInput = [1, 3, height, width];
  const profile = profileModel(model, { inputShapes: { [imageInputName(model)]: macsInput } });
  return {
    model: typeof options.modelPath === 'string' ? basename(options.modelPath) : label,
    family: family.name,
    size,
    images: jobs.length,
    seconds,
    macs: profile.totals.macs,
    flops: profile.totals.flops,
    macsInput,
    detections,
    stats: evaluation.stats,
    perCategoryAP: evaluation.perCategoryAP,
  };
}
