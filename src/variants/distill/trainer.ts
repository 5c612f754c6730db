// Trains the head's parameters against cached teacher outputs: Adam (Kingma & Ba 2015) with a cosine-decayed
// step size, mini-batches in a seeded order, a held-out part (whole source images, so a flipped or shrunk copy
// of a held-out image never trains) that picks the best epoch and stops training after `patience` epochs
// without gain. onnxruntime runs the training graph (loss and gradients); the update is plain JS.
import ort from 'onnxruntime-node';
import { encodeModel } from '../../onnx/model-io.ts';
import { mulberry32 } from '../../random.ts';
import type { HeadSubgraph } from './head-subgraph.ts';
import { teacherInput, type LossSpec } from './losses.ts';
import { LOSS_OUTPUT, buildGraph, gradOutput } from './train-graph.ts';

/** One training sample: per head input its features, per head output the teacher's value, per weight rule its weights. */
export interface DistillSample {
  /** Source image index: samples of one image go to the same side of the held-out split. */
  image: number;
  features: Float32Array[];
  teacher: Float32Array[];
  weights: Float32Array[];
}

export interface DistillData {
  /** [C, H, W] of each head input (sub.inputs order). */
  featureDims: number[][];
  /** [C, H, W] of each head output (sub.outputs order). */
  teacherDims: number[][];
  /** [H, W] of each weight (loss.weights order). */
  weightDims: number[][];
  samples: DistillSample[];
}

export interface TrainOptions {
  epochs: number;
  seed: number;
  batch?: number;
  learningRate?: number;
  /** Fraction of the source images held out (default 0.1). */
  heldOut?: number;
  /** Epochs without held-out gain before stopping (default 4). */
  patience?: number;
  threads?: number;
  onEpoch?: (e: EpochReport, total: number, secondsPerEpoch: number) => void;
}

export interface EpochReport {
  epoch: number;
  trainLoss: number;
  heldOutLoss: number;
  seconds: number;
}

export interface TrainReport {
  /** Held-out loss before training (the fitted variant's). */
  startLoss: number;
  /** Training loss of the first batch pass before any update is not measured; epoch 1's mean is in `epochs`. */
  epochs: EpochReport[];
  bestEpoch: number;
  bestLoss: number;
  steps: number;
  seconds: number;
  trainSamples: number;
  heldOutSamples: number;
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Splits the source images into training and held-out ones (at least one held out when there are two). */
export function splitImages(samples: readonly DistillSample[], fraction: number, random: () => number): { train: number[]; heldOut: number[] } {
  const images = shuffle([...new Set(samples.map((s) => s.image))].sort((a, c) => a - c), random);
  const count = images.length < 2 ? 0 : Math.max(1, Math.round(images.length * fraction));
  const held = new Set(images.slice(0, count));
  const train: number[] = [];
  const heldOut: number[] = [];
  samples.forEach((s, i) => (held.has(s.image) ? heldOut : train).push(i));
  return { train, heldOut };
}

function stack(parts: Float32Array[], dims: number[]): ort.Tensor {
  const size = parts[0]!.length;
  const out = new Float32Array(size * parts.length);
  parts.forEach((p, i) => out.set(p, i * size));
  return new ort.Tensor('float32', out, [parts.length, ...dims]);
}

/** The feeds of one batch (samples at `indices`), parameters included. */
function feeds(sub: HeadSubgraph, loss: LossSpec, data: DistillData, indices: number[], params: Float32Array[]): Record<string, ort.Tensor> {
  const batch = indices.map((i) => data.samples[i]!);
  const out: Record<string, ort.Tensor> = {};
  sub.inputs.forEach((name, k) => (out[name] = stack(batch.map((s) => s.features[k]!), data.featureDims[k]!)));
  sub.outputs.forEach((name, k) => (out[teacherInput(name)] = stack(batch.map((s) => s.teacher[k]!), data.teacherDims[k]!)));
  loss.weights.forEach((w, k) => (out[w.name] = stack(batch.map((s) => s.weights[k]!), [1, ...data.weightDims[k]!])));
  sub.params.forEach((p, k) => (out[p.name] = new ort.Tensor('float32', params[k]!, p.dims)));
  return out;
}

async function session(sub: HeadSubgraph, loss: LossSpec, mode: 'loss' | 'train', threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(buildGraph(sub, loss, mode)), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  });
}

/** Mean loss over `indices` (batches of `batch`), weighted by batch size. */
async function meanLoss(s: ort.InferenceSession, sub: HeadSubgraph, loss: LossSpec, data: DistillData, indices: number[], params: Float32Array[], batch: number): Promise<number> {
  let sum = 0;
  for (let at = 0; at < indices.length; at += batch) {
    const part = indices.slice(at, at + batch);
    const result = await s.run(feeds(sub, loss, data, part, params));
    sum += (result[LOSS_OUTPUT]!.data as Float32Array)[0]! * part.length;
  }
  return indices.length > 0 ? sum / indices.length : NaN;
}

/** Trains `sub`'s parameters in place (the best held-out epoch's values are kept). */
export async function trainHead(sub: HeadSubgraph, loss: LossSpec, data: DistillData, options: TrainOptions): Promise<TrainReport> {
  const batch = options.batch ?? 8;
  const lr = options.learningRate ?? 1e-3;
  const patience = options.patience ?? 4;
  const threads = options.threads ?? 1;
  const random = mulberry32(options.seed);
  const { train, heldOut } = splitImages(data.samples, options.heldOut ?? 0.1, random);
  const check = heldOut.length > 0 ? heldOut : train;
  const trainSession = await session(sub, loss, 'train', threads);
  const lossSession = await session(sub, loss, 'loss', threads);
  const params = sub.params.map((p) => Float32Array.from(p.values));
  const m = params.map((p) => new Float32Array(p.length));
  const v = params.map((p) => new Float32Array(p.length));
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  const stepsPerEpoch = Math.max(1, Math.floor(train.length / batch));
  const totalSteps = stepsPerEpoch * options.epochs;
  const warmup = Math.max(1, Math.min(100, Math.round(totalSteps / 20)));
  const started = performance.now();
  const startLoss = await meanLoss(lossSession, sub, loss, data, check, params, batch);
  let best = { epoch: 0, loss: startLoss, params: params.map((p) => Float32Array.from(p)) };
  const epochs: EpochReport[] = [];
  let step = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const t0 = performance.now();
      const order = shuffle([...train], random);
      let sum = 0;
      for (let k = 0; k < stepsPerEpoch; k++) {
        const part = order.slice(k * batch, (k + 1) * batch);
        const result = await trainSession.run(feeds(sub, loss, data, part, params));
        sum += (result[LOSS_OUTPUT]!.data as Float32Array)[0]!;
        step++;
        // Linear warm-up over the first steps (Adam's first updates are full-size whatever the gradient, which
        // would jolt the fitted weights), then cosine decay to zero.
        const warm = Math.min(1, step / warmup);
        const rate = warm * lr * 0.5 * (1 + Math.cos((Math.PI * (step - 1)) / totalSteps));
        const c1 = 1 - beta1 ** step;
        const c2 = 1 - beta2 ** step;
        sub.params.forEach((p, i) => {
          const g = result[gradOutput(p.name)]!.data as Float32Array;
          const [w, mi, vi] = [params[i]!, m[i]!, v[i]!];
          for (let j = 0; j < w.length; j++) {
            const gj = g[j]!;
            mi[j] = beta1 * mi[j]! + (1 - beta1) * gj;
            vi[j] = beta2 * vi[j]! + (1 - beta2) * gj * gj;
            w[j]! -= (rate * (mi[j]! / c1)) / (Math.sqrt(vi[j]! / c2) + eps);
          }
        });
      }
      const heldOutLoss = await meanLoss(lossSession, sub, loss, data, check, params, batch);
      const report = { epoch, trainLoss: sum / stepsPerEpoch, heldOutLoss, seconds: (performance.now() - t0) / 1000 };
      epochs.push(report);
      options.onEpoch?.(report, options.epochs, (performance.now() - started) / 1000 / epoch);
      if (heldOutLoss < best.loss) best = { epoch, loss: heldOutLoss, params: params.map((p) => Float32Array.from(p)) };
      else if (epoch - best.epoch >= patience) break;
    }
  } finally {
    await trainSession.release();
    await lossSession.release();
  }
  sub.params.forEach((p, i) => (p.values = best.params[i]!));
  return {
    startLoss,
    epochs,
    bestEpoch: best.epoch,
    bestLoss: best.loss,
    steps: step,
    seconds: (performance.now() - started) / 1000,
    trainSamples: train.length,
    heldOutSamples: heldOut.length,
  };
}
