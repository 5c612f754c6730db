// The real stages behind the sweep: the profiler, the detection pipeline, the COCO evaluator and the
// variant builder, adapted to the StudyStages interface.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadGroundTruth } from '../coco-eval/index.ts';
import { bootstrapBbox } from '../coco-eval/bootstrap.ts';
import { STAT_KEYS } from '../coco-eval/index.ts';
import { PROJECT_ROOT, dataPath } from '../data-dir.ts';
import { encodeModel } from '../onnx/model-io.ts';
import { imageInputName } from '../onnx/image-input.ts';
import type { Model } from '../onnx/proto.ts';
import { withoutInitializerInputs } from '../onnx/initializer-inputs.ts';
import { profileModel } from '../profiler/index.ts';
import { detectOnly, getFamily, listAnnotatedImages, prepareImage, resolveCocoDir, type FamilyName } from '../detection/index.ts';
import { measureLatency } from '../detection/latency.ts';
import { buildVariant } from '../variants/index.ts';
import { distillOutcome, distillWhole } from '../variants/distill/index.ts';
import { withInputSize } from '../onnx/input-size.ts';
import { hashOf } from './cache.ts';
import type { PointIntervals, PointLatency } from './results.ts';
import { isChannelPruning, type ChannelPruningSpec, type DistillSettings, type InputSize, type LayerSpecificSpec, type VariantSpec } from './schema.ts';
import { listTrainingImages, loadImages } from '../variants/calibration.ts';
import { DEFAULT_ALLOCATION, DEFAULT_PRUNE_IMAGES_DIR, prune } from '../variants/prune/index.ts';
import type { DetectOptions, Detection, IntervalsRun, LatencyOptions, ProfileSummary, ShardRun, StudyStages } from './stages.ts';

/** The source files of the stages (profiler, pipeline, evaluator, variants), sorted: the code a result depends on. */
export function stageSourceFiles(): string[] {
  const root = join(PROJECT_ROOT, 'src');
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.push(path);
    }
  };
  for (const stage of ['onnx', 'profiler', 'detection', 'coco-eval', 'variants']) {
    if (existsSync(join(root, stage))) walk(join(root, stage));
  }
  if (existsSync(join(root, 'random.ts'))) files.push(join(root, 'random.ts')); // bootstrap draws
  return files.sort();
}

/** Hash of the sources of the stages: a code change invalidates the cache. */
function sourceFingerprint(): string {
  const root = join(PROJECT_ROOT, 'src');
  return hashOf(...stageSourceFiles().flatMap((f) => [relative(root, f), readFileSync(f)]));
}

function profile(model: Model, inputName: string, size: InputSize): ProfileSummary {
  const p = profileModel(model, { inputShapes: { [inputName]: [1, 3, size.height, size.width] } });
  return {
    macs: p.totals.macs,
    flops: p.totals.flops,
    params: p.totals.params,
    groups: p.groups.map((g) => ({ name: g.name, macs: g.macs, flops: g.flops })),
  };
}

async function detect(o: DetectOptions): Promise<ShardRun> {
  if (o.size.side === undefined && o.size.height !== o.size.width) {
    throw new Error(`input ${o.size.height}x${o.size.width}: only --size numbers can be run; an explicit HxW is for profile-only studies`);
  }
  const run = await detectOnly({
    modelPath: o.modelPath,
    family: o.family,
    imagesDir: o.imagesDir,
    annotationsPath: o.annotationsPath,
    size: o.size.side ?? o.size.height,
    threads: o.threads,
    onProgress: o.onProgress,
    preparer: o.preparer,
  });
  return { detections: run.detections, images: run.images, seconds: run.seconds, timing: run.timing };
}

function intervals(annotationsPath: string, detections: Detection[], options: { replicates: number; seed: number }): IntervalsRun {
  const gt = loadGroundTruth(annotationsPath);
  const boot = bootstrapBbox(gt, detections, options);
  const ci = { level: boot.level, replicates: options.replicates } as PointIntervals;
  for (const k of STAT_KEYS) ci[k] = boot.intervals[k];
  return { stats: { ...boot.estimate }, ci, apReplicates: Array.from(boot.replicates.AP) };
}

async function latency(o: LatencyOptions): Promise<PointLatency> {
  const first = listAnnotatedImages(loadGroundTruth(o.annotationsPath))[0];
  if (!first) throw new Error(`${o.annotationsPath}: no image to time the model on`);
  const family = getFamily(o.family);
  const input = await prepareImage(join(o.imagesDir, first.fileName), family.resizeSpec(o.size.side ?? o.size.height), family.pixelFormat);
  // The graph as the sweep runs it: weights not listed as inputs (onnx/initializer-inputs.ts).
  return measureLatency(encodeModel(withoutInitializerInputs(o.model)), { name: imageInputName(o.model), tensor: input.tensor, dims: input.dims }, { threads: o.threads, runs: o.runs });
}

async function buildLightHead(
  model: Model,
  spec: LayerSpecificSpec,
  family: FamilyName,
  native: { inputName: string; size: InputSize },
  threads: number,
  note?: (message: string) => void,
): Promise<Model> {
  const { size, inputName } = native;
  const built = await buildVariant(model, {
    block: spec.block,
    levels: spec.levels,
    subnets: spec.subnets,
    rank: spec.rank,
    ratio: spec.ratio,
    fit:
      spec.fit === false
        ? undefined
        : { calibDir: spec.fit, family, images: spec.calibImages, size: size.side ?? size.height, threads },
    init: spec.fit === false ? (spec.init ?? 'svd') : 'fit',
    inputShapes: { [inputName]: [1, 3, size.height, size.width] },
    distill: spec.distill && { ...spec.distill, dir: dataPath('coco'), family, size: size.side ?? size.height, threads },
  });
  if (built.distill) note?.(distillOutcome(built.distill));
  return built.model;
}

async function buildPruned(model: Model, spec: ChannelPruningSpec, family: FamilyName, native: { inputName: string; size: InputSize }, threads: number): Promise<Model> {
  const { size, inputName } = native;
  // Norm-only pruning still measures sensitivity on images: the default ones.
  const files = listTrainingImages(spec.fit === false ? dataPath(...DEFAULT_PRUNE_IMAGES_DIR) : spec.fit).slice(0, spec.calibImages);
  const images = await loadImages(files, family, size.side ?? size.height);
  const out = await prune(model, {
    family,
    flops: spec.flops,
    choice: spec.fit === false ? 'l1' : 'greedy',
    allocation: spec.allocation ?? DEFAULT_ALLOCATION,
    refit: spec.fit !== false,
    images,
    inputShapes: { [inputName]: [1, 3, size.height, size.width] },
    threads,
  });
  return out.model;
}

/** The pruned model's whole network trained against the original on the refit's images (`prune --distill`). */
async function distillPruned(
  original: Model,
  pruned: Model,
  spec: ChannelPruningSpec & { distill: DistillSettings },
  family: FamilyName,
  native: { size: InputSize },
  threads: number,
  note?: (message: string) => void,
): Promise<Model> {
  if (spec.fit === false) throw new Error('distillPruned: a norm-only model is not distilled (the study file check refuses it)');
  const { size } = native;
  const { model, report } = await distillWhole(original, pruned, { ...spec.distill, dir: spec.fit, family, size: size.side ?? size.height, threads });
  note?.(distillOutcome(report));
  return model;
}

/** `threads`: onnxruntime threads for fitting the light heads (the detection runs get theirs per call). */
export function realStages(threads = 1): StudyStages {
  return {
    fingerprint: sourceFingerprint(),
    resolveCoco: (dir) => resolveCocoDir(dir),
    inputShape: (family, side) => {
      const [height, width] = getFamily(family).representativeInput(side);
      return { height, width };
    },
    profile,
    resize: (model, size) => withInputSize(model, size.height, size.width),
    buildVariant: (model, spec: VariantSpec, family, native, note) =>
      isChannelPruning(spec) ? buildPruned(model, spec, family, native, threads) : buildLightHead(model, spec, family, native, threads, note),
    distillPruned: (original, pruned, spec, family, native, note) => distillPruned(original, pruned, spec, family, native, threads, note),
    detect,
    intervals,
    latency,
  };
}
