// Distillation of a variant's changed levels against the original model (the teacher), on unlabeled images:
// cache the features entering the head and the teacher's outputs, train every conv of the head at those
// levels (new blocks, the level's other convs, the predictors) with losses per output kind, and write the
// trained weights back into the variant.
import type { Model } from '../../onnx/proto.ts';
import type { Profile } from '../../profiler/index.ts';
import type { FamilyName } from '../../detection/families/index.ts';
import { GraphEditor } from '../../onnx/graph-edit.ts';
import { extractHead, headBoundary, writeHeadParams } from './head-subgraph.ts';
import { buildSamples, distillImages } from './samples.ts';
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

export const DEFAULT_EPOCHS = 12;
export const DEFAULT_SEED = 1;

/** Trains `variant`'s head at `levels` toward `original`'s outputs; returns the trained copy. */
export async function distillVariant(original: Model, profile: Profile, variant: Model, levels: readonly string[], options: DistillOptions): Promise<{ model: Model; report: DistillReport }> {
  const { inputs, outputs } = headBoundary(original, profile, levels);
  const files = distillImages(options.dir);
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
  const sub = extractHead(variant, inputs, outputs);
  const report = await trainHead(sub, loss, data, {
    epochs: options.epochs ?? DEFAULT_EPOCHS,
    seed,
    batch: options.batch,
    learningRate: options.learningRate,
    threads: options.threads,
    onEpoch: options.onEpoch,
  });
  writeHeadParams(new GraphEditor(variant), sub.params);
  const model = new GraphEditor(variant).finish();
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
