// The per-image loop: decode image i+1 (sharp, off the main thread) while onnxruntime runs image i, then
// decode the outputs into COCO detections.
import { fileError } from '../errors.ts';
import type { CocoDetection } from '../coco-eval/types.ts';
import { toImageDetections } from './boxes.ts';
import type { DecodeOptions, DetectorFamily } from './families/types.ts';
import { prepareImage, type PreparedInput } from './image.ts';
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
}

export async function detectImages(session: DetectorSession, jobs: readonly ImageJob[], options: DetectImagesOptions): Promise<CocoDetection[]> {
  const { family } = options;
  const spec = family.resizeSpec(options.size);
  const prepare = (i: number): Promise<PreparedInput> => prepareImage(jobs[i].path, spec, family.pixelFormat);
  const detections: CocoDetection[] = [];
  let next: Promise<PreparedInput> | undefined = jobs.length > 0 ? prepare(0) : undefined;
  for (let i = 0; i < jobs.length; i++) {
    const input = await next!;
    next = i + 1 < jobs.length ? prepare(i + 1) : undefined;
    // A failure of the prefetched image surfaces when its turn comes; do not let it go unhandled meanwhile.
    next?.catch(() => undefined);
    let outputs;
    try {
      outputs = await session.run(input.tensor, input.dims);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw fileError(options.modelLabel, `onnxruntime failed on input ${input.dims.join('x')} (${jobs[i].path}): ${why}`);
    }
    const geometry = {
      inputHeight: input.dims[2],
      inputWidth: input.dims[3],
      contentHeight: input.contentHeight,
      contentWidth: input.contentWidth,
    };
    if (i === 0) {
      const problems = family.checkOutputs(outputs, geometry);
      if (problems.length > 0) {
        const actual = Object.entries(outputs).map(([name, t]) => `${name} [${t.dims.join(',')}]`).join(', ');
        throw fileError(
          options.modelLabel,
          `outputs do not fit family ${family.name} at input ${geometry.inputHeight}x${geometry.inputWidth}: ${problems.join('; ')} (the model's outputs: ${actual})`,
        );
      }
    }
    const boxes = family.decode(outputs, geometry, options.decode);
    for (const d of toImageDetections(boxes, input.transform, family.categoryId, family.clipToImage)) {
      detections.push({ image_id: jobs[i].id, category_id: d.categoryId, bbox: d.bbox, score: d.score });
    }
    options.onProgress?.(i + 1, jobs.length);
  }
  return detections;
}
