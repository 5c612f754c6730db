// The per-image loop, pipelined so that onnxruntime (on its own thread) never waits for JavaScript: while it
// runs image i, sharp decodes image i+1 (libuv pool) and the main thread decodes the outputs of image i-1.
import { fileError } from '../errors.ts';
import type { CocoDetection } from '../coco-eval/types.ts';
import { toImageDetections } from './boxes.ts';
import type { DecodeOptions, DetectorFamily, InputGeometry, OutputTensor } from './families/types.ts';
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

interface Inferred {
  index: number;
  input: PreparedInput;
  outputs: Record<string, OutputTensor>;
}

function geometryOf(input: PreparedInput): InputGeometry {
  return { inputHeight: input.dims[2], inputWidth: input.dims[3], contentHeight: input.contentHeight, contentWidth: input.contentWidth };
}

export async function detectImages(session: DetectorSession, jobs: readonly ImageJob[], options: DetectImagesOptions): Promise<CocoDetection[]> {
  const { family } = options;
  const spec = family.resizeSpec(options.size);
  const prepare = (i: number): Promise<PreparedInput> | undefined => {
    if (i >= jobs.length) return undefined;
    const p = prepareImage(jobs[i].path, spec, family.pixelFormat);
    // A failure of a prefetched image surfaces when its turn comes; do not let it go unhandled meanwhile.
    p.catch(() => undefined);
    return p;
  };
  const infer = async (index: number, input: PreparedInput): Promise<Inferred> => {
    let outputs: Record<string, OutputTensor>;
    try {
      outputs = await session.run(input.tensor, input.dims);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw fileError(options.modelLabel, `onnxruntime failed on input ${input.dims.join('x')} (${jobs[index].path}): ${why}`);
    }
    // A model that does not fit the family is reported at once, before any other image is looked at.
    if (index === 0) checkFit(family, outputs, geometryOf(input), options.modelLabel);
    return { index, input, outputs };
  };

  const detections: CocoDetection[] = [];
  const emit = ({ index, input, outputs }: Inferred): void => {
    const geometry = geometryOf(input);
    const boxes = family.decode(outputs, geometry, options.decode);
    for (const d of toImageDetections(boxes, input.transform, family.categoryId, family.clipToImage)) {
      detections.push({ image_id: jobs[index].id, category_id: d.categoryId, bbox: d.bbox, score: d.score });
    }
    options.onProgress?.(index + 1, jobs.length);
  };

  let next = prepare(0);
  let previous: Inferred | undefined;
  for (let i = 0; i < jobs.length; i++) {
    const input = await next!;
    next = prepare(i + 1);
    const running = infer(i, input);
    running.catch(() => undefined);
    if (previous) emit(previous);
    previous = await running;
  }
  if (previous) emit(previous);
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
