// What the sweep needs from the other stages (profiler, variants, detection pipeline, COCO evaluator), as
// one interface. The runner is written against it; real-stages.ts wires the real modules. Tests wrap the
// real stages (e.g. to count detection calls), they do not replace them.
import type { Model } from '../onnx/proto.ts';
import type { CocoDetection, CocoStats } from '../coco-eval/index.ts';
import type { FamilyName } from '../detection/families/index.ts';
import type { GroupCost, PointIntervals, PointLatency } from './results.ts';
import type { ChannelPruningSpec, DistillSettings, InputSize, VariantSpec } from './schema.ts';
import type { ImagePreparer, RunTiming } from '../detection/index.ts';

/** One detection in COCO results format, as the detection pipeline writes it. */
export type Detection = CocoDetection;

export interface ProfileSummary {
  macs: number;
  flops: number;
  params: number;
  groups: GroupCost[];
}

export interface ShardRun {
  detections: Detection[];
  images: number;
  /** Inference wall seconds for the shard. */
  seconds: number;
  /** Where the shard's time went (absent in units cached by older code). */
  timing?: RunTiming;
}

export interface DetectOptions {
  modelPath: string;
  family: FamilyName;
  imagesDir: string;
  /** COCO annotations listing exactly the shard's images. */
  annotationsPath: string;
  size: InputSize;
  threads: number;
  onProgress?: (done: number, total: number) => void;
  /** The sweep's image worker, whose decoded-image cache serves every point (default: one per call). */
  preparer?: ImagePreparer;
}

export interface IntervalsRun {
  /** The 12 numbers on all the images (evaluateBbox's), computed on the way. */
  stats: CocoStats;
  ci: PointIntervals;
  /** AP (0..1) of each replicate, in replicate order: what paired comparisons read. */
  apReplicates: number[];
}

export interface LatencyOptions {
  model: Model;
  family: FamilyName;
  size: InputSize;
  /** The first image of these annotations is the one input timed. */
  imagesDir: string;
  annotationsPath: string;
  threads: number;
  runs: number;
}

export interface StudyStages {
  /** Identifies the code behind the stages: part of every cache key, so new code never reuses old results. */
  fingerprint: string;
  /** `--coco DIR` rule: DIR/val2017 plus its instances_val2017*.json. */
  resolveCoco(dir: string): { imagesDir: string; annotationsPath: string };
  /** The input a `--size` number means for a family (square, or RetinaNet's shorter side + its rule). */
  inputShape(family: FamilyName, side: number): InputSize;
  profile(model: Model, inputName: string, size: InputSize): ProfileSummary;
  /** The model with its static input rewritten to `size`. */
  resize(model: Model, size: InputSize): Model;
  /** The light-head variant, built at the model's native input (fitting runs at that size). */
  buildVariant(model: Model, spec: VariantSpec, family: FamilyName, native: { inputName: string; size: InputSize }, note?: (message: string) => void): Promise<Model>;
  /** A pruned model's whole network trained against the original (`flopmap prune --distill`); `note` gets its held-out loss. */
  distillPruned(original: Model, pruned: Model, spec: ChannelPruningSpec & { distill: DistillSettings }, family: FamilyName, native: { inputName: string; size: InputSize }, note?: (message: string) => void): Promise<Model>;
  detect(options: DetectOptions): Promise<ShardRun>;
  /** The 12 COCO numbers of `detections` and their bootstrap intervals over the images; replicate b draws the same images for every point (same seed). */
  intervals(annotationsPath: string, detections: Detection[], options: { replicates: number; seed: number }): IntervalsRun;
  /** Warm session.run timings on one prepared image. */
  latency(options: LatencyOptions): Promise<PointLatency>;
}
