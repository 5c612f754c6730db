// Points and units of work. A point is (model variant, input size); a unit is (point, image shard), the
// piece a queue could hand to one machine. Ids are built from the study's own names, so they are stable
// across runs and machines and `check` can match points between two results files.
import type { Strategy } from './results.ts';
import { sizeLabel, type ChannelPruningSpec, type InputSize, type LayerSpecificSpec, type Study, type StudyModel, type VariantSpec } from './schema.ts';

export interface PointPlan {
  id: string;
  model: StudyModel;
  strategy: Strategy;
  size: InputSize;
  /** The light head or channel pruning to build, null for the original network (or a trained variant file, see `model.of`). */
  variant: VariantSpec | null;
  variantId: string | null;
}

export interface Shard {
  index: number;
  imageIds: number[];
}

export interface UnitPlan {
  id: string;
  point: PointPlan;
  shard: Shard;
}

/** `conv1x1-P3` (fitted), `dwsep-P3+P4-cls`, `lowrank-P3-r32`, `bottleneck-P3-x0.25`, `conv1x1-P3-svd`. */
export function variantId(spec: LayerSpecificSpec): string {
  const parts = [spec.block, spec.levels.join('+')];
  if (spec.subnets) parts.push(spec.subnets.join('+'));
  if (spec.rank !== undefined) parts.push(`r${spec.rank}`);
  if (spec.ratio !== undefined) parts.push(`x${spec.ratio}`);
  if (spec.fit === false) parts.push(spec.init ?? 'svd');
  return parts.join('-');
}

/** `prune-x0.8` (refitted, sensitivity allocation), `prune-x0.8-uniform`, `prune-x0.8-normonly`. */
export function pruneId(spec: ChannelPruningSpec): string {
  const parts = [`prune-x${spec.flops}`];
  if (spec.allocation === 'uniform') parts.push('uniform');
  if (spec.fit === false) parts.push('normonly');
  return parts.join('-');
}

function sameSize(a: InputSize, b: InputSize): boolean {
  return a.height === b.height && a.width === b.width;
}

/**
 * The points of one model: its baseline at the native size, each other input size, and each light head at
 * the native size. `native` comes from the study file or the graph's static input; `resolve` turns a
 * `--size` number into the family's input (RetinaNet: 800 -> 800x1216).
 */
export function planModelPoints(
  study: Study,
  model: StudyModel,
  native: InputSize,
  resolve: (size: InputSize) => InputSize = (s) => s,
): PointPlan[] {
  if (model.of !== undefined) {
    // A trained variant file: one point on its model's curve, at its own native size.
    const strategy = model.strategy ?? 'layer-specific';
    return [{ id: `${model.of}+${model.id}@${sizeLabel(native)}`, model, strategy, size: native, variant: null, variantId: model.id }];
  }
  const points: PointPlan[] = [
    { id: `${model.id}@${sizeLabel(native)}`, model, strategy: 'baseline', size: native, variant: null, variantId: null },
  ];
  const seen = new Set([sizeLabel(native)]);
  for (const size of study.inputScaling.sizes.map(resolve)) {
    if (sameSize(size, native) || seen.has(sizeLabel(size))) continue;
    seen.add(sizeLabel(size));
    points.push({ id: `${model.id}@${sizeLabel(size)}`, model, strategy: 'input-scaling', size, variant: null, variantId: null });
  }
  const variants = new Set<string>();
  for (const spec of study.layerSpecific) {
    const vid = variantId(spec);
    if (variants.has(vid)) continue;
    variants.add(vid);
    const { distill, ...fitted } = spec;
    points.push({
      id: `${model.id}+${vid}@${sizeLabel(native)}`,
      model,
      strategy: 'layer-specific',
      size: native,
      variant: fitted,
      variantId: vid,
    });
    // The same head trained against the original model, beside the fitted one.
    if (distill) {
      points.push({ id: `${model.id}+${vid}-distilled@${sizeLabel(native)}`, model, strategy: 'distilled', size: native, variant: spec, variantId: `${vid}-distilled` });
    }
  }
  for (const spec of study.channelPruning) {
    const vid = pruneId(spec);
    if (variants.has(vid)) continue;
    variants.add(vid);
    const { distill, ...refitted } = spec;
    points.push({ id: `${model.id}+${vid}@${sizeLabel(native)}`, model, strategy: 'channel-pruning', size: native, variant: refitted, variantId: vid });
    // The same pruned model with its whole network trained against the original, beside it.
    if (distill) {
      points.push({ id: `${model.id}+${vid}-distilled@${sizeLabel(native)}`, model, strategy: 'pruned-distilled', size: native, variant: spec, variantId: `${vid}-distilled` });
    }
  }
  return points;
}

/** The model whose curve a point lies on: `of` for a trained variant file, else the model itself. */
export function curveModel(model: StudyModel): string {
  return model.of ?? model.id;
}

/** Splits the evaluation images (ascending ids) into shards of `shardSize`. */
export function planShards(imageIds: readonly number[], shardSize: number): Shard[] {
  const shards: Shard[] = [];
  for (let i = 0; i < imageIds.length; i += shardSize) {
    shards.push({ index: shards.length, imageIds: imageIds.slice(i, i + shardSize) });
  }
  return shards;
}

export function planUnits(point: PointPlan, shards: readonly Shard[]): UnitPlan[] {
  return shards.map((shard) => ({ id: `${point.id}#${shard.index}`, point, shard }));
}
