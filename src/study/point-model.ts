// How each point's model is derived: the original file, a light-head variant (fitted on the calibration
// images) and/or the input rewritten to the point's size. Each derived model is saved in the study cache
// under a key naming what it was derived from, so a resumed sweep reuses it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { imageInputName, imageInputSize } from '../onnx/image-input.ts';
import { decodeModel, encodeModel, readModelBytes } from '../onnx/model-io.ts';
import type { Model } from '../onnx/proto.ts';
import { listCalibrationImages, listTrainingImages } from '../variants/calibration.ts';
import { hashOf, writeFileAtomic, type StudyCache } from './cache.ts';
import type { PointPlan } from './points.ts';
import { isChannelPruning, sizeLabel, type InputSize, type VariantSpec, type StudyModel } from './schema.ts';
import type { StudyStages } from './stages.ts';

/** A model file as run by one point: the original, a light-head variant, or a resized copy. */
export interface LoadedModel {
  model: Model;
  path: string;
  hash: string;
  inputName: string;
}

export function loadBase(path: string): LoadedModel {
  const bytes = readModelBytes(path);
  const model = decodeModel(bytes, path);
  return { model, path, hash: hashOf(bytes), inputName: imageInputName(model) };
}

/** A `--size` number becomes the family's input shape; explicit HxW sizes stay as they are. */
export function sizeResolver(family: StudyModel['family'], stages: StudyStages): (size: InputSize) => InputSize {
  return (size) => (size.side === undefined ? size : { ...stages.inputShape(family, size.side), side: size.side });
}

export function nativeSize(m: StudyModel, loaded: LoadedModel, resolveSize: (s: InputSize) => InputSize): InputSize {
  if (m.size) return resolveSize(m.size);
  const fromGraph = imageInputSize(loaded.model);
  if (!fromGraph) {
    throw new Error(`${m.path}: the graph's input size is dynamic; give the model a "size" in the study file`);
  }
  return fromGraph.height === fromGraph.width ? { ...fromGraph, side: fromGraph.height } : fromGraph;
}

/** Saves (or reuses) a derived model in the cache; its key says what it was derived from. */
async function derivedModel(cache: StudyCache, key: string, make: () => Promise<Model> | Model): Promise<LoadedModel> {
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
  return { model, path, hash: hashOf(bytes), inputName: imageInputName(model) };
}

/**
 * Names the calibration set by the image files the fit reads (a light head: DIR/calib for a COCO folder;
 * pruning: DIR/calib + DIR/unlabeled) and their sizes, so a changed set of images gives a new variant.
 */
function calibFingerprint(spec: VariantSpec): string {
  if (spec.fit === false) return 'random-init';
  if (!existsSync(spec.fit)) return `${spec.fit}\n(missing)`; // the fit itself reports the missing folder
  const files = isChannelPruning(spec) ? listTrainingImages(spec.fit) : listCalibrationImages(spec.fit);
  return [spec.fit, ...files.map((f) => `${f} ${statSync(f).size}`)].join('\n');
}

export async function pointModel(
  plan: PointPlan,
  base: LoadedModel,
  native: InputSize,
  cache: StudyCache,
  stages: StudyStages,
  note?: (message: string) => void,
): Promise<LoadedModel> {
  let current: LoadedModel = base;
  if (plan.variant) {
    const spec = plan.variant;
    const family = plan.model.family;
    const at = { inputName: base.inputName, size: native };
    const keyOf = (s: VariantSpec) => hashOf('variant', stages.fingerprint, base.hash, family, sizeLabel(native), JSON.stringify(s), calibFingerprint(s));
    if (isChannelPruning(spec) && spec.distill) {
      // The distilled point trains the refitted point's model (the same cache entry: pruned once per sweep).
      const { distill, ...refitted } = spec;
      const pruned = await derivedModel(cache, keyOf(refitted), () => stages.buildVariant(base.model, refitted, family, at, note));
      current = await derivedModel(cache, keyOf(spec), () => stages.distillPruned(base.model, pruned.model, { ...spec, distill }, family, at, note));
    } else {
      current = await derivedModel(cache, keyOf(spec), () => stages.buildVariant(base.model, spec, family, at, note));
    }
  }
  const isNative = plan.size.height === native.height && plan.size.width === native.width;
  // Only static exports need a rewrite; a graph with a dynamic H/W runs at any size as it is.
  if (imageInputSize(current.model) && !isNative) {
    const from = current;
    const key = hashOf('resize', stages.fingerprint, from.hash, sizeLabel(plan.size));
    current = await derivedModel(cache, key, () => stages.resize(from.model, plan.size));
  }
  return current;
}
