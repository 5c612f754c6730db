// Fits the weights of replaced convs without training: the original model gives each replaced conv's output
// on calibration images (captured by making it a graph output); the variant, partly fitted, gives each block's
// actual input, so that a block is fitted on what earlier replaced blocks really produce (errors do not
// compound unseen). Blocks whose inputs do not depend on unfitted blocks are fitted together in one pass.
import type { Model } from '../onnx/proto.ts';
import { float32Tensor } from '../onnx/tensor.ts';
import { createDetectorSession } from '../detection/session.ts';
import type { BlockName } from './blocks.ts';
import type { CalibrationImage } from './calibration.ts';
import type { ConvLayer, ConvSpec, WrittenLayer } from './conv-spec.ts';
import { accumulate, emptyStats, gatherOutputs, samplePositions, symmetrize, type FeatureMap } from './fit-stats.ts';
import { fitBlock } from './fit-solve.ts';
import { GraphEditor } from '../onnx/graph-edit.ts';
import { cloneModel } from '../onnx/model-io.ts';

/** One replaced conv: the original (spec), its block and where the block's weights live in the variant. */
export interface FitTarget {
  spec: ConvSpec;
  block: BlockName;
  layers: ConvLayer[];
  written: WrittenLayer[];
}

export interface FitOptions {
  /** Output positions sampled per image and layer (default 256). */
  positionsPerImage?: number;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  /**
   * Weights the fit per output position: `tensors` of the original model are captured with the targets, and
   * `weigh` turns them into weight maps; a target uses the map whose size equals its output plane (the
   * teacher's confidence at that level), else uniform weights.
   */
  positionWeights?: { tensors: string[]; weigh: (maps: Record<string, FeatureMap>) => Float32Array[] };
}

export interface FitReport {
  /** ||Y' - Y|| / ||Y|| per target at the sampled positions, Y' from the finished variant. */
  relativeErrors: number[];
  captureSeconds: number;
  solveSeconds: number;
  passes: number;
}

interface Samples {
  positions: Int32Array;
  outW: number;
  y: Float32Array;
  weights?: Float32Array;
}

/** Runs `model` with `tensors` added as outputs on every image, handing each image's maps to `visit`. */
export async function capture(model: Model, tensors: string[], images: CalibrationImage[], threads: number, visit: (image: number, maps: Record<string, FeatureMap>) => void): Promise<void> {
  const withOutputs = new GraphEditor(cloneModel(model));
  for (const t of tensors) withOutputs.addOutput(t);
  const session = await createDetectorSession(withOutputs.model, 'calibration model', threads);
  try {
    for (let i = 0; i < images.length; i++) {
      const out = await session.run(images[i]!.tensor, images[i]!.dims);
      const maps: Record<string, FeatureMap> = {};
      for (const t of tensors) {
        const o = out[t];
        if (!o || o.dims.length !== 4) throw new Error(`calibration: tensor ${t} is not a 4-D feature map`);
        maps[t] = { data: o.data, dims: o.dims };
      }
      visit(i, maps);
    }
  } finally {
    await session.release();
  }
}

/**
 * Sampled original outputs per model and calibration set (the same arrays: see loadCalibrationImages),
 * keyed by tensor, target index and positions per image. Weak keys: they go with the model and the images.
 */
interface SharedCalibration {
  samples: Map<string, Samples[]>;
}

const sharedCalibrationCache = new WeakMap<Model, WeakMap<CalibrationImage[], SharedCalibration>>();

function sharedCalibration(model: Model, images: CalibrationImage[]): SharedCalibration {
  let byImages = sharedCalibrationCache.get(model);
  if (!byImages) sharedCalibrationCache.set(model, (byImages = new WeakMap()));
  let shared = byImages.get(images);
  if (!shared) byImages.set(images, (shared = { samples: new Map() }));
  return shared;
}

export async function fitTargets(original: Model, variant: GraphEditor, targets: FitTarget[], images: CalibrationImage[], options: FitOptions = {}): Promise<FitReport> {
  const threads = options.threads ?? 1;
  const perImage = options.positionsPerImage ?? 256;
  let captureSeconds = 0;
  let solveSeconds = 0;
  let passes = 0;
  const clock = () => performance.now() / 1000;

  // 1. The original outputs at sampled positions (one seeded set per target and image). They depend only on
  // the original model, the images and the seed, so every variant fitted on the same model and images
  // shares them: only the targets not captured before run the original model.
  // A weighted fit (distillation's teacher confidence) has its own samples: nothing is shared then.
  const weighting = options.positionWeights;
  const calibration: SharedCalibration = weighting ? { samples: new Map() } : sharedCalibration(original, images);
  const shared = calibration.samples;
  const sampleKey = (k: number) => `${targets[k]!.spec.output}|${k}|${perImage}`;
  const missing = targets.map((_, k) => k).filter((k) => !shared.has(sampleKey(k)));
  let t0 = clock();
  if (missing.length > 0) {
    for (const k of missing) shared.set(sampleKey(k), []);
    const firstPass = [...new Set([...missing.map((k) => targets[k]!.spec.output), ...(weighting?.tensors ?? [])])];
    await capture(original, firstPass, images, threads, (i, maps) => {
      const weightMaps = weighting ? weighting.weigh(maps) : [];
      for (const k of missing) {
        const y = maps[targets[k]!.spec.output]!;
        const [, , h, w] = y.dims as [number, number, number, number];
        const positions = samplePositions(h * w, perImage, 7919 * (k + 1) + i);
        const map = weightMaps.find((m) => m.length === h * w);
        const weights = map ? Float32Array.from(positions, (p) => map[p]!) : undefined;
        shared.get(sampleKey(k))![i] = { positions, outW: w, y: gatherOutputs(y, positions), weights };
      }
    });
    passes++;
  }
  const samples: Samples[][] = targets.map((_, k) => shared.get(sampleKey(k))!);
  captureSeconds += clock() - t0;

  // 2. Fit in waves: every target whose input no unfitted block feeds.
  const pending = new Set(targets.map((_, k) => k));
  let done = 0;
  while (pending.size > 0) {
    const blockOutputs = new Map([...pending].map((k) => [targets[k]!.spec.output, k]));
    const wave = [...pending].filter((k) => {
      const deps = variant.ancestorsOf(targets[k]!.spec.input);
      return ![...blockOutputs].some(([out, j]) => j !== k && deps.has(out));
    });
    if (wave.length === 0) throw new Error('fitting: replaced convs depend on each other in a cycle');
    // Not shared across variants: a block's input comes from the variant graph, and onnxruntime may run the
    // same upstream conv with another kernel layout there (measured: reusing another variant's statistics
    // moved AP by up to 0.12 on the default study).
    const stats = wave.map((k) => emptyStats(targets[k]!.spec, targets[k]!.block === 'conv1x1' ? 'centre' : 'full'));
    t0 = clock();
    await capture(variant.model, [...new Set(wave.map((k) => targets[k]!.spec.input))], images, threads, (i, maps) => {
      wave.forEach((k, w) => {
        const s = samples[k]![i]!;
        accumulate(stats[w]!, targets[k]!.spec, maps[targets[k]!.spec.input]!, s.outW, s.positions, s.y, s.weights);
      });
    });
    passes++;
    captureSeconds += clock() - t0;
    t0 = clock();
    wave.forEach((k, w) => {
      const target = targets[k]!;
      symmetrize(stats[w]!);
      target.layers = fitBlock(target.block, target.spec, stats[w]!, target.layers);
      writeWeights(variant, target);
      pending.delete(k);
      options.onProgress?.(++done, targets.length);
    });
    solveSeconds += clock() - t0;
  }

  // 3. The error of every block in the finished variant.
  const errors = targets.map(() => ({ diff: 0, norm: 0 }));
  t0 = clock();
  await capture(variant.model, targets.map((t) => t.spec.output), images, threads, (i, maps) => {
    targets.forEach((target, k) => {
      const s = samples[k]![i]!;
      const yNew = gatherOutputs(maps[target.spec.output]!, s.positions);
      for (let j = 0; j < yNew.length; j++) {
        errors[k]!.diff += (yNew[j]! - s.y[j]!) ** 2;
        errors[k]!.norm += s.y[j]! ** 2;
      }
    });
  });
  captureSeconds += clock() - t0;
  passes++;
  const relativeErrors = errors.map((e) => (e.norm > 0 ? Math.sqrt(e.diff / e.norm) : Math.sqrt(e.diff)));
  return { relativeErrors, captureSeconds, solveSeconds, passes };
}

/** Puts a target's current layer weights into the variant's initializers. */
export function writeWeights(variant: GraphEditor, target: FitTarget): void {
  target.layers.forEach((layer, i) => {
    const names = target.written[i]!;
    variant.setInitializer(float32Tensor(names.weight, layer.dims, layer.weight));
    variant.setInitializer(float32Tensor(names.bias, [layer.dims[0]], layer.bias));
  });
}
