// Distillation against the original model (the teacher), on unlabeled images, of either a variant's changed
// levels (distillVariant: cache the features entering the head and the teacher's outputs, train every conv of
// the head at those levels) or a whole student network (distillWhole: the image is the input, every conv of a
// pruned model trains, as the compression pipeline's distillation step); losses per output kind; the trained
// weights are written back into the student.
import type { Model } from '../../onnx/proto.ts';
import type { Profile } from '../../profiler/index.ts';
import type { FamilyName } from '../../detection/families/index.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import { extractHead, headBoundary, writeHeadParams, type HeadSubgraph } from './head-subgraph.ts';
import { extractWhole, wholeBoundary } from './whole-subgraph.ts';
import { profileModel } from '../../profiler/index.ts';
import { listTrainingImages } from '../calibration.ts';
import { buildSamples } from './samples.ts';
import { trainHead, type EpochReport, type TrainReport } from './trainer.ts';

export interface DistillOptions {
  /** A COCO data folder (its calib/ and unlabeled/) or a folder of images. */
  dir: string;
  family: FamilyName;
  /** Input size (the static export's). */
  size: number;
  epochs?: number;
  seed?: number;
  images?: number;
  batch?: number;
  learningRate?: number;
  threads?: number;
  onSamples?: (done: number, total: number) => void;
  onEpoch?: (e: EpochReport, total: number, secondsPerEpoch: number) => void;
}

export interface DistillReport extends TrainReport {
  images: number;
  samples: number;
  captureSeconds: number;
  parameters: number;
  headInputs: string[];
  headOutputs: string[];
}

/** One line on what training did, as a sweep shows it: best epoch 0 means the weights came back unchanged. */
export function distillOutcome(r: DistillReport): string {
  const change = r.bestEpoch === 0 ? 'no held-out gain, weights unchanged' : `best epoch ${r.bestEpoch}`;
  return `distilled: held-out loss ${r.startLoss.toFixed(4)} -> ${r.bestLoss.toFixed(4)} (${change}; ${r.epochs.length} epochs, ${r.seconds.toFixed(0)} s)`;
}

export const DEFAULT_EPOCHS = 12;
export const DEFAULT_SEED = 1;
/**
 * Adam's step size for whole-network distillation: every conv of a trained network moves, so it is far below a
 * head's 1e-3. Pruned NanoDet-m, 40 images x 2 epochs: 1e-3 and 3e-4 raise the held-out loss (0.56 -> 1.9, 0.80),
 * 1e-4 and 3e-5 keep it (0.57, 0.55); 100 images x 2 epochs: 1e-4 and 3e-5 both 0.806 -> 0.777.
 */
export const DEFAULT_WHOLE_LEARNING_RATE = 1e-4;

/** Trains `variant`'s head at `levels` toward `original`'s outputs; returns the trained copy. */
export async function distillVariant(original: Model, profile: Profile, variant: Model, levels: readonly string[], options: DistillOptions): Promise<{ model: Model; report: DistillReport }> {
  const { inputs, outputs } = headBoundary(original, profile, levels);
  return distillSubgraph(original, variant, inputs, outputs, () => extractHead(variant, inputs, outputs), options);
}

/**
 * Trains every conv of `student` (same input and head output names as `original`, e.g. a pruned copy) from the
 * image to the raw head outputs of all levels toward `original`'s outputs; returns the trained copy.
 */
export async function distillWhole(original: Model, student: Model, options: DistillOptions): Promise<{ model: Model; report: DistillReport }> {
  const { inputs, outputs } = wholeBoundary(original, profileModel(original));
  const trained = { ...options, learningRate: options.learningRate ?? DEFAULT_WHOLE_LEARNING_RATE };
  return distillSubgraph(original, student, inputs, outputs, () => extractWhole(student, outputs), trained);
}

async function distillSubgraph(
  original: Model,
  student: Model,
  inputs: string[],
  outputs: string[],
  extract: () => HeadSubgraph,
  options: DistillOptions,
): Promise<{ model: Model; report: DistillReport }> {
  const files = listTrainingImages(options.dir);
  const seed = options.seed ?? DEFAULT_SEED;
  const t0 = performance.now();
  const { data, loss } = await buildSamples(original, inputs, outputs, files, {
    family: options.family,
    size: options.size,
    seed,
    images: options.images,
    threads: options.threads,
    onProgress: options.onSamples,
  });
  const captureSeconds = (performance.now() - t0) / 1000;
  const sub = extract();
  const report = await trainHead(sub, loss, data, {
    epochs: options.epochs ?? DEFAULT_EPOCHS,
    seed,
    batch: options.batch,
    learningRate: options.learningRate,
    threads: options.threads,
    onEpoch: options.onEpoch,
  });
  writeHeadParams(new GraphEditor(student), sub.params);
  const model = new GraphEditor(student).finish();
  return {
    model,
    report: {
      ...report,
      images: new Set(data.samples.map((s) => s.image)).size,
      samples: data.samples.length,
      captureSeconds,
      parameters: sub.params.reduce((a, p) => a + p.values.length, 0),
      headInputs: inputs,
      headOutputs: outputs,
    },
  };
}
