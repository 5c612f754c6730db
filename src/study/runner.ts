// The sweep: plans every point of a study, and for each one builds its model (light head fitted on the
// calibration images, or the input rewritten to a size), profiles it, runs it shard by shard and scores it.
// Everything finished is cached under OUT/cache keyed by model bytes + settings; a failing point is
// recorded with its error and the others go on. Returns data; the CLI prints and writes the report.
import { join } from 'node:path';
import { hashOf, StudyCache } from './cache.ts';
import { prepareEvalSet, type EvalSet, type ShardFiles } from './eval-set.ts';
import { pairedComparisons } from './comparisons.ts';
import { curveModel, planModelPoints, planUnits, type PointPlan, type UnitPlan } from './points.ts';
import type { CocoStats } from '../coco-eval/index.ts';
import type { PointResult, StudyResults } from './results.ts';
import { loadBase, nativeSize, pointModel, sizeResolver, type LoadedModel } from './point-model.ts';
import { sizeLabel, type InputSize, type Study, type StudyModel } from './schema.ts';
import type { Detection, ShardRun, StudyStages } from './stages.ts';
import { localExecutor, type UnitExecutor } from './unit-executor.ts';

/** Bumped when a cached point's meaning changes, so old entries are not reused. */
const POINT_CACHE_VERSION = 'points-v2';

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
  /** Who runs the units not in the cache: this process (default) or a queue of workers (src/queue). */
  executor?: UnitExecutor;
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
  /** What each evaluated point measures besides its stats: bootstrap intervals and latency. */
  bootstrap: Study['bootstrap'];
  latency: Study['latency'];
  emit: (e: StudyEvent) => void;
  executor: UnitExecutor;
}

async function runUnits(plan: PointPlan, run: LoadedModel, evalSet: EvalSet, ctx: SweepContext): Promise<{ detections: Detection[]; seconds: number; images: number }> {
  let done = 0;
  const total = evalSet.imageIds.length;
  // One unit of work per (point, shard): each is a self-contained job (model file, images, annotations)
  // with its own cache entry, the piece a queue hands to another machine.
  const one = async (unit: UnitPlan): Promise<ShardRun> => {
    const shard = evalSet.shards[unit.shard.index]!;
    const outcome = await runUnit(unit, run, shard, evalSet, ctx, (d) =>
      ctx.emit({ kind: 'images', id: plan.id, done: done + d, total, cached: false }),
    );
    done += shard.imageIds.length;
    if (outcome.cached) ctx.emit({ kind: 'images', id: plan.id, done, total, cached: true });
    return outcome.run;
  };
  const units = planUnits(plan, evalSet.shards);
  const runs: ShardRun[] = [];
  if (ctx.executor.parallel) runs.push(...(await Promise.all(units.map(one))));
  else for (const unit of units) runs.push(await one(unit));
  // Shard order, whatever order they finished in: the detections list is the same as a local sweep's.
  return { detections: runs.flatMap((r) => r.detections), seconds: runs.reduce((s, r) => s + r.seconds, 0), images: total };
}

async function runUnit(
  unit: UnitPlan,
  run: LoadedModel,
  shard: ShardFiles,
  evalSet: EvalSet,
  ctx: SweepContext,
  onImages: (done: number) => void,
): Promise<{ run: ShardRun; cached: boolean }> {
  const { cache, stages } = ctx;
  const plan = unit.point;
  const key = hashOf('unit', stages.fingerprint, run.hash, plan.model.family, sizeLabel(plan.size), shard.key);
  const hit = cache.readJson<ShardRun>('units', key);
  if (hit) return { run: hit, cached: true };
  const result = await ctx.executor.run(
    {
      id: unit.id,
      key,
      family: plan.model.family,
      size: plan.size,
      modelPath: run.path,
      modelHash: run.hash,
      imagesDir: evalSet.imagesDir,
      annotationsPath: shard.annotationsPath,
      annotationsHash: shard.key,
      images: shard.imageIds.length,
      threads: ctx.threads,
    },
    onImages,
  );
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
  ci?: PointResult['ci'];
  latency?: PointResult['latency'];
}

function pointRow(plan: PointPlan, m: Measured): PointResult {
  return {
    id: plan.id,
    model: curveModel(plan.model),
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
    ...(m.ci ? { ci: m.ci } : {}),
    ...(m.latency ? { latency: m.latency } : {}),
  };
}

function failedPoint(plan: PointPlan, error: string): PointResult {
  return { ...pointRow(plan, { macs: 0, flops: 0, params: 0, stats: null, images: 0, seconds: 0, groups: [] }), error };
}

/** A point's row, whether it came from the cache, and the AP of each bootstrap replicate (for comparisons). */
interface PointOutcome {
  result: PointResult;
  cached: boolean;
  apReplicates?: number[];
}

async function runPoint(plan: PointPlan, base: LoadedModel, native: InputSize, ctx: SweepContext): Promise<PointOutcome> {
  const { cache, stages, evalSet, emit } = ctx;
  if (plan.variant) emit({ kind: 'note', id: plan.id, message: `building ${plan.variantId}` });
  const buildStart = performance.now();
  const run = await pointModel(plan, base, native, cache, stages);
  if (plan.variant) {
    emit({ kind: 'note', id: plan.id, message: `${plan.variantId} ready in ${((performance.now() - buildStart) / 1000).toFixed(1)} s` });
  }
  const key = hashOf(
    POINT_CACHE_VERSION, stages.fingerprint, run.hash, plan.model.family, sizeLabel(plan.size), evalSet?.key ?? 'profile-only',
    JSON.stringify(ctx.bootstrap), JSON.stringify(ctx.latency), String(ctx.threads),
  );
  const hit = cache.readJson<PointResult>('points', key);
  if (hit) {
    const result = { ...hit, id: plan.id, model: curveModel(plan.model), strategy: plan.strategy, variant: plan.variantId };
    return { result, cached: true, apReplicates: cache.readJson<number[]>('replicates', key) };
  }

  const profile = stages.profile(run.model, run.inputName, plan.size);
  let stats: CocoStats | null = null;
  let images = 0;
  let seconds = 0;
  let measured: Pick<Measured, 'ci' | 'latency'> = {};
  let apReplicates: number[] | undefined;
  if (evalSet) {
    const units = await runUnits(plan, run, evalSet, ctx);
    // The bootstrap matches the images once and scores all of them on the way: no separate evaluation.
    const boot = stages.intervals(evalSet.annotationsPath, units.detections, ctx.bootstrap);
    stats = boot.stats;
    images = units.images;
    seconds = units.seconds;
    apReplicates = boot.apReplicates;
    cache.writeJson('replicates', key, apReplicates);
    const latency = await stages.latency({
      model: run.model, family: plan.model.family, size: plan.size, imagesDir: evalSet.imagesDir,
      annotationsPath: evalSet.annotationsPath, threads: ctx.threads, runs: ctx.latency.runs,
    });
    measured = { ci: boot.ci, latency };
  }
  const result = pointRow(plan, { macs: profile.macs, flops: profile.flops, params: profile.params, stats, images, seconds, groups: profile.groups, ...measured });
  cache.writeJson('points', key, result);
  return { result, cached: false, apReplicates };
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
  const ctx: SweepContext = {
    cache, stages, evalSet, threads, bootstrap: study.bootstrap, latency: study.latency, emit,
    executor: options.executor ?? localExecutor(stages),
  };

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

  const startPoint = async (entry: (typeof perModel)[number], plan: PointPlan, index: number): Promise<PointOutcome> => {
    emit({ kind: 'point-start', id: plan.id, index });
    if (entry.error || !entry.base || !entry.native) {
      return { result: failedPoint(plan, entry.error ?? 'model not loaded'), cached: false };
    }
    try {
      return await runPoint(plan, entry.base, entry.native, ctx);
    } catch (err) {
      return { result: failedPoint(plan, errorMessage(err)), cached: false };
    }
  };
  const planned = perModel.flatMap((entry) => entry.plans.map((plan) => ({ entry, plan })));
  // A parallel executor (a queue) gets every point's units at once; a local sweep runs one point at a time.
  const started = ctx.executor.parallel ? planned.map(({ entry, plan }, i) => startPoint(entry, plan, i)) : [];
  const points: PointResult[] = [];
  const replicates = new Map<string, number[]>();
  for (const [index, { entry, plan }] of planned.entries()) {
    const outcome = await (started[index] ?? startPoint(entry, plan, index));
    if (outcome.apReplicates) replicates.set(plan.id, outcome.apReplicates);
    points.push(outcome.result);
    emit({ kind: 'point-end', index, result: outcome.result, cached: outcome.cached });
  }
  return {
    study: study.name,
    description: study.description,
    evaluated: evalSet !== null,
    images: evalSet?.imageIds.length ?? 0,
    imageSet: evalSet ? { ids: evalSet.imageIds, annotations: evalSet.key } : null,
    points,
    ...(evalSet ? { bootstrap: study.bootstrap, latency: study.latency, comparisons: pairedComparisons(points, replicates) } : {}),
  };
}
