// The sweep: plans every point of a study, and for each one builds its model (light head fitted on the
// calibration images, or the input rewritten to a size), profiles it, runs it shard by shard and scores it.
// Everything finished is cached under OUT/cache keyed by model bytes + settings; a failing point is
// recorded with its error and the others go on. Returns data; the CLI prints and writes the report.
import { join } from 'node:path';
import { hashOf, StudyCache } from './cache.ts';
import { prepareEvalSet, type EvalSet, type ShardFiles } from './eval-set.ts';
import { pairedComparisons } from './comparisons.ts';
import { curveModel, planModelPoints, type PointPlan } from './points.ts';
import type { CocoStats } from '../coco-eval/index.ts';
import type { PointResult, StudyResults } from './results.ts';
import { loadBase, nativeSize, pointModel, sizeResolver, type LoadedModel } from './point-model.ts';
import { sizeLabel, type InputSize, type Study, type StudyModel } from './schema.ts';
import type { ProfileSummary, ShardRun, StudyStages } from './stages.ts';
import { workerPreparer, type ImagePreparer } from '../detection/index.ts';
import { addPointBound, addUnitTiming, emptySweepTiming, finishTiming, type SweepTiming } from './timing.ts';
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
  /** Bytes of decoded images the sweep keeps for reuse across points (default DECODED_CACHE_BYTES; 0 decodes per point). */
  decodedCacheBytes?: number;
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
  /** The sweep's image worker: its decoded-image cache serves every point (null for a profile-only study). */
  preparer: ImagePreparer | null;
  timing: SweepTiming;
}

async function runUnit(
  plan: PointPlan,
  run: Pick<LoadedModel, 'path' | 'hash'>,
  shard: ShardFiles,
  evalSet: EvalSet,
  ctx: SweepContext,
  onImages: (done: number) => void,
): Promise<{ run: ShardRun; cached: boolean }> {
  const { cache, stages } = ctx;
  const key = hashOf('unit', stages.fingerprint, run.hash, plan.model.family, sizeLabel(plan.size), shard.key);
  const hit = cache.readJson<ShardRun>('units', key);
  if (hit) return { run: hit, cached: true };
  const result = await ctx.executor.run(
    {
      id: `${plan.id}#${shard.index}`,
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
  const stored: ShardRun = { detections: result.detections, images: result.images, seconds: result.seconds, timing: result.timing };
  cache.writeJson('units', key, stored);
  return { run: stored, cached: false };
}

/** What a point measured; a failed point has zeros, no stats and its error. */
type Measured = Pick<PointResult, 'macs' | 'flops' | 'params' | 'stats' | 'images' | 'seconds' | 'groups' | 'ci' | 'latency'>;

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

/** A point between its model build and its scoring: what its units have detected so far. */
interface OpenPoint {
  plan: PointPlan;
  /** The graph stays for the latency measurement; small next to the decoded images. */
  run: Pick<LoadedModel, 'path' | 'hash' | 'model'>;
  key: string;
  profile: ProfileSummary;
  /** Each shard's run, by shard index (a parallel executor may finish them in any order). */
  runs: ShardRun[];
  /** Images of the shards done so far, for progress. */
  imagesDone: number;
  latenciesMs: number[];
  error?: string;
}

/** Builds the point's model and profiles it; a point already scored comes back finished from the cache. */
async function openPoint(plan: PointPlan, base: LoadedModel, native: InputSize, ctx: SweepContext): Promise<OpenPoint | PointOutcome> {
  const { cache, stages, evalSet, emit, timing } = ctx;
  if (plan.variant) emit({ kind: 'note', id: plan.id, message: `building ${plan.variantId}` });
  const buildStart = performance.now();
  const run = await pointModel(plan, base, native, cache, stages, (message) => emit({ kind: 'note', id: plan.id, message }));
  timing.buildModels += (performance.now() - buildStart) / 1000;
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
  const profileStart = performance.now();
  const profile = stages.profile(run.model, run.inputName, plan.size);
  timing.profile += (performance.now() - profileStart) / 1000;
  return { plan, run: { path: run.path, hash: run.hash, model: run.model }, key, profile, runs: [], imagesDone: 0, latenciesMs: [] };
}

/** Runs one shard of an open point (from the unit cache when it was done before). */
async function runShard(point: OpenPoint, shard: ShardFiles, evalSet: EvalSet, ctx: SweepContext): Promise<void> {
  const { plan } = point;
  const total = evalSet.imageIds.length;
  const outcome = await runUnit(plan, point.run, shard, evalSet, ctx, (d) =>
    ctx.emit({ kind: 'images', id: plan.id, done: point.imagesDone + d, total, cached: false }),
  );
  point.imagesDone += shard.imageIds.length;
  if (outcome.cached) ctx.emit({ kind: 'images', id: plan.id, done: point.imagesDone, total, cached: true });
  point.runs[shard.index] = outcome.run;
  if (!outcome.cached && outcome.run.timing) {
    addUnitTiming(ctx.timing, outcome.run.timing);
    for (const ms of outcome.run.timing.latenciesMs) point.latenciesMs.push(ms);
  }
}

/** Scores an open point whose shards are all done (intervals, latency), and caches its row. */
async function closePoint(point: OpenPoint, ctx: SweepContext): Promise<PointOutcome> {
  const { cache, stages, evalSet, timing } = ctx;
  const { plan, profile, key, run } = point;
  let stats: CocoStats | null = null;
  let images = 0;
  let measured: Pick<Measured, 'ci' | 'latency'> = {};
  let apReplicates: number[] | undefined;
  if (evalSet) {
    const t0 = performance.now();
    // Shard order, whatever order they finished in: the detections list is the same as a local sweep's.
    // The bootstrap matches the images once and scores all of them on the way: no separate evaluation.
    const boot = stages.intervals(evalSet.annotationsPath, point.runs.flatMap((r) => r.detections), ctx.bootstrap);
    timing.scoring += (performance.now() - t0) / 1000;
    stats = boot.stats;
    images = evalSet.imageIds.length;
    apReplicates = boot.apReplicates;
    cache.writeJson('replicates', key, apReplicates);
    const t1 = performance.now();
    const latency = await stages.latency({
      model: run.model, family: plan.model.family, size: plan.size, imagesDir: evalSet.imagesDir,
      annotationsPath: evalSet.annotationsPath, threads: ctx.threads, runs: ctx.latency.runs,
    });
    timing.latency += (performance.now() - t1) / 1000;
    measured = { ci: boot.ci, latency };
    // The bound counts the images this sweep ran, at the latency the report measures (warm, alone).
    const ran = point.latenciesMs.length;
    if (ran > 0) addPointBound(timing, ran, latency.medianMs);
  }
  const seconds = point.runs.reduce((t, r) => t + r.seconds, 0);
  const result = pointRow(plan, { macs: profile.macs, flops: profile.flops, params: profile.params, stats, images, seconds, groups: profile.groups, ...measured });
  cache.writeJson('points', key, result);
  return { result, cached: false, apReplicates };
}

/** Decoded pixels the sweep's image worker may keep: a few shards of 640x480 COCO images (0.9 MB each). */
export const DECODED_CACHE_BYTES = 512 * 2 ** 20;

/** Runs every point of the study (resuming from OUT/cache) and returns the rows of results.json. */
export async function runStudy(study: Study, options: RunStudyOptions): Promise<StudyResults> {
  const sweepStart = performance.now();
  const emit = options.onEvent ?? (() => {});
  const cache = new StudyCache(join(options.outDir, 'cache'));
  const threads = options.threads ?? study.threads;
  const stages = options.stages;
  const evalSet = study.data.evaluate
    ? prepareEvalSet(stages.resolveCoco(study.data.coco), study.data.images, study.data.shardSize, cache)
    : null;
  const preparer = evalSet ? workerPreparer({ cacheBytes: options.decodedCacheBytes ?? DECODED_CACHE_BYTES }) : null;
  const ctx: SweepContext = {
    cache, stages, evalSet, threads, bootstrap: study.bootstrap, latency: study.latency, emit,
    executor: options.executor ?? localExecutor(stages, preparer ?? undefined), preparer, timing: emptySweepTiming(),
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

  const points: PointResult[] = new Array(total);
  const replicates = new Map<string, number[]>();
  const finish = (index: number, outcome: PointOutcome) => {
    points[index] = outcome.result;
    if (outcome.apReplicates) replicates.set(outcome.result.id, outcome.apReplicates);
    emit({ kind: 'point-end', index, result: outcome.result, cached: outcome.cached });
  };
  try {
    // 1. Every point's model, built (or read from the cache) and profiled.
    const open: { index: number; point: OpenPoint }[] = [];
    let index = 0;
    for (const entry of perModel) {
      for (const plan of entry.plans) {
        const i = index++;
        emit({ kind: 'point-start', id: plan.id, index: i });
        if (entry.error || !entry.base || !entry.native) {
          finish(i, { result: failedPoint(plan, entry.error ?? 'model not loaded'), cached: false });
          continue;
        }
        try {
          const opened = await openPoint(plan, entry.base, entry.native, ctx);
          if ('result' in opened) finish(i, opened);
          else open.push({ index: i, point: opened });
        } catch (err) {
          finish(i, { result: failedPoint(plan, errorMessage(err)), cached: false });
        }
      }
    }
    // 2. Shard by shard, every point on it: the shard's images are decoded once and stay in the worker's
    // cache while they serve all points (bounded memory whatever the size of the evaluation set).
    const shards = evalSet?.shards ?? [];
    const runOne = async (point: OpenPoint, shard: ShardFiles): Promise<void> => {
      if (point.error) return;
      try {
        await runShard(point, shard, evalSet!, ctx);
      } catch (err) {
        point.error = errorMessage(err);
      }
    };
    if (ctx.executor.parallel) {
      // A queue gets every unit of every point at once, so that many machines work on them together.
      await Promise.all(open.flatMap(({ point }) => shards.map((shard) => runOne(point, shard))));
    } else {
      for (const shard of shards) {
        const shardStart = performance.now();
        for (const { point } of open) await runOne(point, shard);
        if (open.length > 0) {
          const seconds = ((performance.now() - shardStart) / 1000).toFixed(1);
          emit({ kind: 'note', id: 'sweep', message: `shard ${shard.index + 1}/${shards.length} (${shard.imageIds.length} images) run by ${open.length} points in ${seconds} s` });
        }
      }
    }
    // 3. Each point scored, in plan order.
    for (const { index: i, point } of open) {
      let outcome: PointOutcome;
      try {
        outcome = point.error ? { result: failedPoint(point.plan, point.error), cached: false } : await closePoint(point, ctx);
      } catch (err) {
        outcome = { result: failedPoint(point.plan, errorMessage(err)), cached: false };
      }
      finish(i, outcome);
    }
  } finally {
    await preparer?.close();
  }
  return {
    study: study.name,
    description: study.description,
    evaluated: evalSet !== null,
    images: evalSet?.imageIds.length ?? 0,
    imageSet: evalSet ? { ids: evalSet.imageIds, annotations: evalSet.key } : null,
    points,
    ...(evalSet ? { bootstrap: study.bootstrap, latency: study.latency, comparisons: pairedComparisons(points, replicates) } : {}),
    timing: finishTiming(ctx.timing, (performance.now() - sweepStart) / 1000, preparer?.stats() ?? null),
  };
}
