// The per-image loop. onnxruntime-node runs a session synchronously on the main thread, so images are decoded
// in a worker thread (preparer.ts), PREFETCH images ahead: image i+1 is decoded while image i runs.
import { fileError } from '../errors.ts';
import type { CocoDetection } from '../coco-eval/types.ts';
import { toImageDetections } from './boxes.ts';
import type { DecodeOptions, DetectorFamily, InputGeometry, OutputTensor } from './families/types.ts';
import type { PreparedInput } from './image.ts';
import { workerPreparer, type ImagePreparer } from './preparer.ts';
import type { DetectorSession } from './session.ts';

export interface ImageJob {
  id: number;
  path: string;
}

export interface DetectImagesOptions {
  family: DetectorFamily;
  size: number;
  decode: DecodeOptions;
  /** Names the model in errors about its outputs. */
  modelLabel: string;
  onProgress?: (done: number, total: number) => void;
  /** Where images are decoded (default: a worker thread started and closed by this call). */
  preparer?: ImagePreparer;
  /** Filled with where the loop's time went (added to what it holds). */
  timing?: LoopTiming;
}

/** The main thread's time in the image loop, in seconds, and every `session.run` latency in ms. */
export interface LoopTiming {
  inference: number;
  /** Waiting for the worker's next image (decoding/resizing not hidden behind inference). */
  waitImages: number;
  /** Family decoding of the outputs, NMS and mapping boxes back. */
  postprocess: number;
  latenciesMs: number[];
}

export function emptyLoopTiming(): LoopTiming {
  return { inference: 0, waitImages: 0, postprocess: 0, latenciesMs: [] };
}

/** Images decoded ahead of the one being inferred. */
const PREFETCH = 2;

function geometryOf(input: PreparedInput): InputGeometry {
  return { inputHeight: input.dims[2], inputWidth: input.dims[3], contentHeight: input.contentHeight, contentWidth: input.contentWidth };
}

export async function detectImages(session: DetectorSession, jobs: readonly ImageJob[], options: DetectImagesOptions): Promise<CocoDetection[]> {
  const { family } = options;
  const spec = family.resizeSpec(options.size);
  const preparer = options.preparer ?? workerPreparer();
  const prepare = (i: number): Promise<PreparedInput> => {
    const p = preparer.prepare(jobs[i].path, spec, family.pixelFormat);
    // A failure of a prefetched image surfaces when its turn comes; do not let it go unhandled meanwhile.
    p.catch(() => undefined);
    return p;
  };
  const infer = async (index: number, input: PreparedInput): Promise<Record<string, OutputTensor>> => {
    try {
      return await session.run(input.tensor, input.dims);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw fileError(options.modelLabel, `onnxruntime failed on input ${input.dims.join('x')} (${jobs[index].path}): ${why}`);
    }
  };

  const detections: CocoDetection[] = [];
  try {
    const ahead: Promise<PreparedInput>[] = [];
    for (let k = 0; k < Math.min(PREFETCH, jobs.length); k++) ahead.push(prepare(k));
    const timing = options.timing ?? emptyLoopTiming();
    for (let i = 0; i < jobs.length; i++) {
      const t0 = performance.now();
      const input = await ahead.shift()!;
      if (i + PREFETCH < jobs.length) ahead.push(prepare(i + PREFETCH));
      const t1 = performance.now();
      const outputs = await infer(i, input);
      const t2 = performance.now();
      timing.waitImages += (t1 - t0) / 1000;
      timing.inference += (t2 - t1) / 1000;
      timing.latenciesMs.push(t2 - t1);
      const geometry = geometryOf(input);
      // A model that does not fit the family is reported at once, before any other image is looked at.
      if (i === 0) checkFit(family, outputs, geometry, options.modelLabel);
      const boxes = family.decode(outputs, geometry, options.decode);
      for (const d of toImageDetections(boxes, input.transform, family.categoryId, family.clipToImage)) {
        detections.push({ image_id: jobs[i].id, category_id: d.categoryId, bbox: d.bbox, score: d.score });
      }
      timing.postprocess += (performance.now() - t2) / 1000;
      options.onProgress?.(i + 1, jobs.length);
    }
  } finally {
    if (!options.preparer) await preparer.close();
  }
  return detections;
}

function checkFit(family: DetectorFamily, outputs: Record<string, OutputTensor>, geometry: InputGeometry, modelLabel: string): void {
  const problems = family.checkOutputs(outputs, geometry);
  if (problems.length === 0) return;
  const actual = Object.entries(outputs).map(([name, t]) => `${name} [${t.dims.join(',')}]`).join(', ');
  throw fileError(
    modelLabel,
    `outputs do not fit family ${family.name} at input ${geometry.inputHeight}x${geometry.inputWidth}: ${problems.join('; ')} (the model's outputs: ${actual})`,
  );
}
