// The sweep: plans every point of a study, and for each one builds its model (light head fitted on the
// calibration images, or the input rewritten to a size), profiles it, runs it shard by shard and scores it.
// Everything finished is cached under OUT/cache keyed by model bytes + settings; a failing point is
// recorded with its error and the others go on. Returns data; the CLI prints and writes the report.
import { join } from 'node:path';
import { hashOf, StudyCache } from './cache.ts';
import { prepareEvalSet, type EvalSet, type ShardFiles } from './eval-set.ts';
import { planModelPoints, planUnits, type PointPlan } from './points.ts';
import type { CocoStats } from '../coco-eval/index.ts';
import type { PointResult, StudyResults } from './results.ts';
import { loadBase, nativeSize, pointModel, sizeResolver, type LoadedModel } from './point-model.ts';
import { sizeLabel, type InputSize, type Study, type StudyModel } from './schema.ts';
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

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What every point of one sweep shares: the cache, the stages, the evaluation set, threads and progress. */
interface SweepContext {
  cache: StudyCache;
  stages: StudyStages;
  /** null for a profile-only study. */
  evalSet: EvalSet | null;
  threads: number;
  emit: (e: StudyEvent) => void;
}

async function runUnits(plan: PointPlan, run: LoadedModel, evalSet: EvalSet, ctx: SweepContext): Promise<{ detections: Detection[]; seconds: number; images: number }> {
  const detections: Detection[] = [];
  let seconds = 0;
  let done = 0;
  const total = evalSet.imageIds.length;
  // One unit of work per (point, shard): each is a self-contained job (model file, images, annotations)
  // with its own cache entry, the piece a queue could hand to another machine.
  for (const unit of planUnits(plan, evalSet.shards)) {
    const shard = evalSet.shards[unit.shard.index]!;
    const outcome = await runUnit(plan, run, shard, evalSet, ctx, (d) =>
      ctx.emit({ kind: 'images', id: plan.id, done: done + d, total, cached: false }),
    );
    done += shard.imageIds.length;
    if (outcome.cached) ctx.emit({ kind: 'images', id: plan.id, done, total, cached: true });
    for (const d of outcome.run.detections) detections.push(d);
    seconds += outcome.run.seconds;
  }
  return { detections, seconds, images: total };
}

async function runUnit(
  plan: PointPlan,
  run: LoadedModel,
  shard: ShardFiles,
  evalSet: EvalSet,
  ctx: SweepContext,
  onImages: (done: number) => void,
): Promise<{ run: ShardRun; cached: boolean }> {
  const { cache, stages } = ctx;
  const key = hashOf('unit', stages.fingerprint, run.hash, plan.model.family, sizeLabel(plan.size), shard.key);
  const hit = cache.readJson<ShardRun>('units', key);
  if (hit) return { run: hit, cached: true };
  const result = await stages.detect({
    modelPath: run.path,
    family: plan.model.family,
    imagesDir: evalSet.imagesDir,
    annotationsPath: shard.annotationsPath,
    size: plan.size,
    threads: ctx.threads,
    onProgress: (done) => onImages(done),
  });
  const stored: ShardRun = { detections: result.detections, images: result.images, seconds: result.seconds };
  cache.writeJson('units', key, stored);
  return { run: stored, cached: false };
}

/** What a point measured; a failed point has zeros, no stats and its error. */
interface Measured {
  macs: number;
  flops: number;
  params: number;
  stats: CocoStats | null;
  images: number;
  seconds: number;
  groups: PointResult['groups'];
}

function pointRow(plan: PointPlan, m: Measured): PointResult {
  return {
    id: plan.id,
    model: plan.model.id,
    family: plan.model.family,
    strategy: plan.strategy,
    size: plan.size.side ?? plan.size.height,
    height: plan.size.height,
    width: plan.size.width,
    variant: plan.variantId,
    macs: m.macs,
    flops: m.flops,
    params: m.params,
    stats: m.stats,
    images: m.images,
    seconds: m.seconds,
    groups: m.groups,
  };
}

function failedPoint(plan: PointPlan, error: string): PointResult {
  return { ...pointRow(plan, { macs: 0, flops: 0, params: 0, stats: null, images: 0, seconds: 0, groups: [] }), error };
}

async function runPoint(plan: PointPlan, base: LoadedModel, native: InputSize, ctx: SweepContext): Promise<{ result: PointResult; cached: boolean }> {
  const { cache, stages, evalSet, emit } = ctx;
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
    const units = await runUnits(plan, run, evalSet, ctx);
    stats = stages.evaluate(evalSet.annotationsPath, units.detections);
    images = units.images;
    seconds = units.seconds;
  }
  const result = pointRow(plan, { macs: profile.macs, flops: profile.flops, params: profile.params, stats, images, seconds, groups: profile.groups });
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
  const ctx: SweepContext = { cache, stages, evalSet, threads, emit };

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
          outcome = await runPoint(plan, entry.base, entry.native, ctx);
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
