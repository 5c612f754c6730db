// Training samples for distillation: every image of the calibration and unlabeled folders, as is, mirrored,
// and shrunk by a seeded factor in [0.5, 0.9] then padded back to the input size (scale jitter: objects smaller
// than COCO's usual, where P3 works). One run of the ORIGINAL model per sample gives both the features entering
// the head (backbone and neck are frozen, so they never change) and the teacher's head outputs. When the
// student's input is the image itself (whole-network distillation), its feature is the image tensor fed.
import ort from 'onnxruntime-node';
import { imageInputName } from '../../onnx/image-input.ts';
import type { Model } from '../../onnx/proto.ts';
import { getFamily, type FamilyName } from '../../detection/families/index.ts';
import { prepareImage, type PreparedInput } from '../../detection/image.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import { cloneModel, encodeModel } from '../../onnx/model-io.ts';
import { mulberry32 } from '../../random.ts';
import type { DistillData } from './trainer.ts';
import { familyLoss, positionWeights, type LossSpec } from './losses.ts';

/** The ways each image is shown to the teacher and the student. */
export const VIEWS = ['as-is', 'mirrored', 'shrunk'] as const;

/** Mirrors the image content (not the padding) left to right, in place. */
function mirror(p: PreparedInput): void {
  const [, c, h, w] = p.dims;
  // NanoDet's centring offset can be fractional (its warp): mirror the whole pixels the content covers.
  const x0 = Math.max(0, Math.round(p.transform.offsetX));
  const width = Math.min(p.contentWidth, w - x0);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      const row = (ch * h + y) * w + x0;
      p.tensor.subarray(row, row + width).reverse();
    }
  }
}

/** The image prepared at a smaller size, placed on a full-size canvas of the family's padding. */
async function shrunk(file: string, family: FamilyName, size: number, factor: number): Promise<Float32Array> {
  const spec = getFamily(family);
  const small = Math.max(32, Math.round(size * factor));
  const resize = spec.resizeSpec(size);
  const inner = spec.resizeSpec(small);
  const p = await prepareImage(file, inner, spec.pixelFormat);
  const out = new Float32Array(3 * size * size);
  const pad = resize.mode === 'letterbox' ? resize.padValue : 0;
  const centred = resize.mode === 'letterbox' && resize.align === 'center';
  const [, , h, w] = p.dims;
  const top = centred ? Math.floor((size - h) / 2) : 0;
  const left = centred ? Math.floor((size - w) / 2) : 0;
  for (let c = 0; c < 3; c++) {
    out.fill((pad - spec.pixelFormat.mean[c]!) / spec.pixelFormat.std[c]!, c * size * size, (c + 1) * size * size);
    for (let y = 0; y < h; y++) out.set(p.tensor.subarray((c * h + y) * w, (c * h + y + 1) * w), (c * size + top + y) * size + left);
  }
  return out;
}

export interface SampleOptions {
  family: FamilyName;
  size: number;
  seed: number;
  /** Use the first N images only. */
  images?: number;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs the original model on every view of every image and keeps the head's inputs and the teacher's outputs.
 * Returns the training data and the loss for the family's head outputs.
 */
export async function buildSamples(original: Model, inputs: string[], outputs: string[], files: string[], options: SampleOptions): Promise<{ data: DistillData; loss: LossSpec }> {
  const family = getFamily(options.family);
  const inputName = imageInputName(original);
  const capture = new GraphEditor(cloneModel(original));
  for (const t of [...inputs, ...outputs]) if (t !== inputName) capture.addOutput(t);
  const session = await ort.InferenceSession.create(encodeModel(capture.model), {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
  const random = mulberry32(options.seed ^ 0x5eed);
  const chosen = files.slice(0, options.images ?? files.length);
  const data: DistillData = { featureDims: [], teacherDims: [], weightDims: [], samples: [] };
  let loss: LossSpec | undefined;
  const total = chosen.length * VIEWS.length;
  try {
    for (let image = 0; image < chosen.length; image++) {
      const file = chosen[image]!;
      const factor = 0.5 + 0.4 * random();
      for (const view of VIEWS) {
        let tensor: Float32Array;
        if (view === 'shrunk') {
          tensor = await shrunk(file, options.family, options.size, factor);
        } else {
          const p = await prepareImage(file, family.resizeSpec(options.size), family.pixelFormat);
          if (view === 'mirrored') mirror(p);
          tensor = p.tensor;
        }
        const fed = new ort.Tensor('float32', tensor, [1, 3, options.size, options.size]);
        const result = await session.run({ [inputName]: fed });
        const grab = (name: string) => {
          const t = name === inputName ? fed : result[name];
          if (!t || t.dims.length !== 4) throw new Error(`distill: head tensor ${name} is not a 4-D map`);
          return { data: name === inputName ? tensor : Float32Array.from(t.data as Float32Array), dims: t.dims };
        };
        const features = inputs.map(grab);
        const teacher = outputs.map(grab);
        if (!loss) {
          loss = familyLoss(options.family, teacher.map((t, k) => ({ name: outputs[k]!, dims: t.dims })));
          data.featureDims = features.map((f) => f.dims.slice(1));
          data.teacherDims = teacher.map((t) => t.dims.slice(1));
          data.weightDims = loss.weights.map((w) => teacher[outputs.indexOf(w.output)]!.dims.slice(2));
        }
        const byName = Object.fromEntries(teacher.map((t, k) => [outputs[k]!, t]));
        const weights = positionWeights(loss, byName);
        data.samples.push({ image, features: features.map((f) => f.data), teacher: teacher.map((t) => t.data), weights: loss.weights.map((w) => weights[w.name]!) });
        options.onProgress?.(data.samples.length, total);
      }
    }
  } finally {
    await session.release();
  }
  if (!loss) throw new Error('distill: no samples');
  return { data, loss };
}
