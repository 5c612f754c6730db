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
    for (let i = 0; i < jobs.length; i++) {
      const input = await ahead.shift()!;
      if (i + PREFETCH < jobs.length) ahead.push(prepare(i + PREFETCH));
      const outputs = await infer(i, input);
      const geometry = geometryOf(input);
      // A model that does not fit the family is reported at once, before any other image is looked at.
      if (i === 0) checkFit(family, outputs, geometry, options.modelLabel);
      const boxes = family.decode(outputs, geometry, options.decode);
      for (const d of toImageDetections(boxes, input.transform, family.categoryId, family.clipToImage)) {
        detections.push({ image_id: jobs[i].id, category_id: d.categoryId, bbox: d.bbox, score: d.score });
      }
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
