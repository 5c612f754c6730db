// The sweep: plans every point of a study, and for each one builds its model (light head fitted on the
// calibration images, or the input rewritten to a size), profiles it, runs it shard by shard and scores it.
// Everything finished is cached under OUT/cache keyed by model bytes + settings; a failing point is
// recorded with its error and the others go on. Returns data; the CLI prints and writes the report.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeModel, encodeModel, readModelBytes } from '../onnx/model-io.ts';
import type { Model } from '../onnx/proto.ts';
import { imageInputName, imageInputSize } from '../onnx/image-input.ts';
import { listCalibrationImages } from '../variants/calibration.ts';
import { hashOf, StudyCache, writeFileAtomic } from './cache.ts';
import { prepareEvalSet, type EvalSet, type ShardFiles } from './eval-set.ts';
import { planModelPoints, planUnits, type PointPlan } from './points.ts';
import type { CocoStats, PointResult, StudyResults } from './results.ts';
import { sizeLabel, type InputSize, type LayerSpecificSpec, type Study, type StudyModel } from './schema.ts';
import type { Detection, ShardRun, StudyStages } from './stages.ts';

/** Bumped when a cached point's meaning changes, so old entries are not reused. */
const POINT_CACHE_VERSION = 'points-v1';

export type StudyEvent =
  | { kind: 'plan'; points: number; imagesPerPoint: number; evaluated: boolean }
  | { kind: 'point-start'; id: string; index: number }
  | { kind: 'note'; id: string; message: string }
  /** Images finished within the current point (cached units count as done at once). */
  | { kind: 'images'; id: string; done: number; total: number; cached: boolean }
  | { kind: 'point-end'; index: number; result: PointResult; cached: boolean };

export interface RunStudyOptions {
  /** Report folder; the cache lives in OUT/cache. */
  outDir: string;
  stages: StudyStages;
  /** Overrides the study's thread count. */
  threads?: number;
  onEvent?: (event: StudyEvent) => void;
}

interface LoadedModel {
  model: Model;
  path: string;
  hash: string;
  inputName: string;
}

/** A model file as run by one point: the original, a light-head variant, or a resized copy. */
type RunModel = LoadedModel;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The image input: its name, and its size when the graph fixes it. */
export function imageInput(model: Model): { name: string; size?: InputSize } {
  return { name: imageInputName(model), size: imageInputSize(model) };
}

function loadBase(path: string): LoadedModel {
  const bytes = readModelBytes(path);
  const model = decodeModel(bytes, path);
  return { model, path, hash: hashOf(bytes), inputName: imageInput(model).name };
}

/** A `--size` number becomes the family's input shape; explicit HxW sizes stay as they are. */
function sizeResolver(family: StudyModel['family'], stages: StudyStages): (size: InputSize) => InputSize {
  return (size) => (size.side === undefined ? size : { ...stages.inputShape(family, size.side), side: size.side });
}

function nativeSize(m: StudyModel, loaded: LoadedModel, resolveSize: (s: InputSize) => InputSize): InputSize {
  if (m.size) return resolveSize(m.size);
  const fromGraph = imageInput(loaded.model).size;
  if (!fromGraph) {
    throw new Error(`${m.path}: the graph's input size is dynamic; give the model a "size" in the study file`);
  }
  return fromGraph.height === fromGraph.width ? { ...fromGraph, side: fromGraph.height } : fromGraph;
}

/** Saves (or reuses) a derived model in the cache; its key says what it was derived from. */
async function derivedModel(cache: StudyCache, key: string, make: () => Promise<Model> | Model): Promise<RunModel> {
  const path = cache.path('models', key, 'onnx');
  let bytes: Uint8Array;
  let model: Model;
  if (cache.has('models', key, 'onnx')) {
    bytes = readFileSync(path);
    model = decodeModel(bytes, path);
  } else {
    model = await make();
    bytes = encodeModel(model);
    writeFileAtomic(path, bytes);
  }
  return { model, path, hash: hashOf(bytes), inputName: imageInput(model).name };
}

/**
 * Names the calibration set by the image files the fit reads (DIR/calib for a COCO folder) and their sizes,
 * so a changed set of calibration images gives a new variant.
 */
function calibFingerprint(spec: LayerSpecificSpec): string {
  if (spec.fit === false) return 'random-init';
  if (!existsSync(spec.fit)) return `${spec.fit}\n(missing)`; // the fit itself reports the missing folder
  const files = listCalibrationImages(spec.fit);
  return [spec.fit, ...files.map((f) => `${f} ${statSync(f).size}`)].join('\n');
}

async function pointModel(
  plan: PointPlan,
  base: LoadedModel,
  native: InputSize,
  cache: StudyCache,
  stages: StudyStages,
): Promise<RunModel> {
  let current: RunModel = base;
  if (plan.variant) {
    const spec = plan.variant;
    const key = hashOf('variant', stages.fingerprint, base.hash, plan.model.family, sizeLabel(native), JSON.stringify(spec), calibFingerprint(spec));
    current = await derivedModel(cache, key, () =>
      stages.buildVariant(base.model, spec, plan.model.family, { inputName: base.inputName, size: native }),
    );
  }
  const graphSize = imageInput(current.model).size;
  const isNative = plan.size.height === native.height && plan.size.width === native.width;
  if (graphSize && !isNative) {
    const from = current;
    const key = hashOf('resize', stages.fingerprint, from.hash, sizeLabel(plan.size));
    current = await derivedModel(cache, key, () => stages.resize(from.model, plan.size));
  }
  return current;
}

async function runUnits(
  plan: PointPlan,
  run: RunModel,
  evalSet: EvalSet,
  cache: StudyCache,
  stages: StudyStages,
  threads: number,
  emit: (e: StudyEvent) => void,
): Promise<{ detections: Detection[]; seconds: number; images: number }> {
  const detections: Detection[] = [];
  let seconds = 0;
  let done = 0;
  const total = evalSet.imageIds.length;
  // One unit of work per (point, shard): each is a self-contained job (model file, images, annotations)
  // with its own cache entry, the piece a queue could hand to another machine.
  for (const unit of planUnits(plan, evalSet.shards)) {
    const shard = evalSet.shards[unit.shard.index]!;
    const outcome = await runUnit(plan, run, shard, evalSet, cache, stages, threads, (d) =>
      emit({ kind: 'images', id: plan.id, done: done + d, total, cached: false }),
    );
    done += shard.imageIds.length;
    if (outcome.cached) emit({ kind: 'images', id: plan.id, done, total, cached: true });
    for (const d of outcome.run.detections) detections.push(d);
    seconds += outcome.run.seconds;
  }
  return { detections, seconds, images: total };
}

async function runUnit(
  plan: PointPlan,
  run: RunModel,
  shard: ShardFiles,
  evalSet: EvalSet,
  cache: StudyCache,
  stages: StudyStages,
  threads: number,
  onImages: (done: number) => void,
): Promise<{ run: ShardRun; cached: boolean }> {
  const key = hashOf('unit', stages.fingerprint, run.hash, plan.model.family, sizeLabel(plan.size), shard.key);
  const hit = cache.readJson<ShardRun>('units', key);
  if (hit) return { run: hit, cached: true };
  const result = await stages.detect({
    modelPath: run.path,
    family: plan.model.family,
    imagesDir: evalSet.imagesDir,
    annotationsPath: shard.annotationsPath,
    size: plan.size,
    threads,
    onProgress: (done) => onImages(done),
  });
  const stored: ShardRun = { detections: result.detections, images: result.images, seconds: result.seconds };
  cache.writeJson('units', key, stored);
  return { run: stored, cached: false };
}

function failedPoint(plan: PointPlan, error: string): PointResult {
  return {
    id: plan.id,
    model: plan.model.id,
    family: plan.model.family,
    strategy: plan.strategy,
    size: plan.size.side ?? plan.size.height,
    height: plan.size.height,
    width: plan.size.width,
    variant: plan.variantId,
    macs: 0,
    flops: 0,
    params: 0,
    stats: null,
    images: 0,
    seconds: 0,
    groups: [],
    error,
  };
}

async function runPoint(
  plan: PointPlan,
  base: LoadedModel,
  native: InputSize,
  evalSet: EvalSet | null,
  cache: StudyCache,
  stages: StudyStages,
  threads: number,
  emit: (e: StudyEvent) => void,
): Promise<{ result: PointResult; cached: boolean }> {
  if (plan.variant) emit({ kind: 'note', id: plan.id, message: `building ${plan.variantId}` });
  const buildStart = performance.now();
  const run = await pointModel(plan, base, native, cache, stages);
  if (plan.variant) {
    emit({ kind: 'note', id: plan.id, message: `${plan.variantId} ready in ${((performance.now() - buildStart) / 1000).toFixed(1)} s` });
  }
  const key = hashOf(POINT_CACHE_VERSION, stages.fingerprint, run.hash, plan.model.family, sizeLabel(plan.size), evalSet?.key ?? 'profile-only');
  const hit = cache.readJson<PointResult>('points', key);
  if (hit) return { result: { ...hit, id: plan.id, model: plan.model.id, strategy: plan.strategy, variant: plan.variantId }, cached: true };

  const profile = stages.profile(run.model, run.inputName, plan.size);
  let stats: CocoStats | null = null;
  let images = 0;
  let seconds = 0;
  if (evalSet) {
    const units = await runUnits(plan, run, evalSet, cache, stages, threads, emit);
    stats = stages.evaluate(evalSet.annotationsPath, units.detections);
    images = units.images;
    seconds = units.seconds;
  }
  const result: PointResult = {
    ...failedPoint(plan, ''),
    macs: profile.macs,
    flops: profile.flops,
    params: profile.params,
    groups: profile.groups,
    stats,
    images,
    seconds,
  };
  delete result.error;
  cache.writeJson('points', key, result);
  return { result, cached: false };
}

/** Runs every point of the study (resuming from OUT/cache) and returns the rows of results.json. */
export async function runStudy(study: Study, options: RunStudyOptions): Promise<StudyResults> {
  const emit = options.onEvent ?? (() => {});
  const cache = new StudyCache(join(options.outDir, 'cache'));
  const threads = options.threads ?? study.threads;
  const stages = options.stages;
  const evalSet = study.data.evaluate
    ? prepareEvalSet(stages.resolveCoco(study.data.coco), study.data.images, study.data.shardSize, cache)
    : null;

  // Plan first (cheap), so progress knows the total; a model that cannot be loaded fails its points only.
  const perModel: { model: StudyModel; base?: LoadedModel; native?: InputSize; plans: PointPlan[]; error?: string }[] = [];
  for (const m of study.models) {
    const resolveSize = sizeResolver(m.family, stages);
    try {
      const base = loadBase(m.path);
      const native = nativeSize(m, base, resolveSize);
      perModel.push({ model: m, base, native, plans: planModelPoints(study, m, native, resolveSize) });
    } catch (err) {
      const fallback = m.size ? resolveSize(m.size) : { height: 0, width: 0 };
      perModel.push({ model: m, plans: planModelPoints(study, m, fallback, resolveSize), error: errorMessage(err) });
    }
  }
  const total = perModel.reduce((n, m) => n + m.plans.length, 0);
  emit({ kind: 'plan', points: total, imagesPerPoint: evalSet?.imageIds.length ?? 0, evaluated: evalSet !== null });

  const points: PointResult[] = [];
  for (const entry of perModel) {
    for (const plan of entry.plans) {
      const index = points.length;
      emit({ kind: 'point-start', id: plan.id, index });
      let outcome: { result: PointResult; cached: boolean };
      if (entry.error || !entry.base || !entry.native) {
        outcome = { result: failedPoint(plan, entry.error ?? 'model not loaded'), cached: false };
      } else {
        try {
          outcome = await runPoint(plan, entry.base, entry.native, evalSet, cache, stages, threads, emit);
        } catch (err) {
          outcome = { result: failedPoint(plan, errorMessage(err)), cached: false };
        }
      }
      points.push(outcome.result);
      emit({ kind: 'point-end', index, result: outcome.result, cached: outcome.cached });
    }
  }
  return {
    study: study.name,
    description: study.description,
    evaluated: evalSet !== null,
    images: evalSet?.imageIds.length ?? 0,
    points,
  };
}
