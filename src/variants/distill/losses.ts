// Distillation losses per kind of head output, each written as ONNX nodes together with its gradient with
// respect to the student's output (the backward pass starts there). Every loss is zero when the student equals
// the teacher, and is weighted per position toward where the teacher sees an object (a detector's head is
// mostly background; a plain average lets "nothing here" dominate):
// - class scores (sigmoid): BCE against the teacher's probabilities minus the teacher's own entropy, i.e. the
//   KL divergence of the Bernoulli distributions; d/dx = sigmoid(x) - sigmoid(z).
// - NanoDet's distance bins (GFL, Li et al. 2020: 4 sides x n bins, softmax per side): KL(teacher || student);
//   d/dx = softmax(x) - softmax(z).
// - YOLOX's box regression (raw offsets, log sizes): smooth-L1 (beta 1); d/dx = clip(x - z, -1, 1).
// Weights: NanoDet 1 + 10 x the teacher's top class score (class and box terms); YOLOX objectness
// 1 + 10 x the teacher's objectness, class and box terms 10 x the teacher's objectness (YOLOX trains them only
// at positive positions).
import { InputError } from '../../errors.ts';
import type { FamilyName } from '../../detection/families/index.ts';
import type { GraphBuilder } from './graph-builder.ts';

export type LossKind = 'bce' | 'dist-kl' | 'smooth-l1';

export interface LossTerm {
  /** The student's head output. */
  output: string;
  /** Channels [start, end) of that output the term covers. */
  channels: [number, number];
  kind: LossKind;
  /** Bins per distribution (dist-kl). */
  bins?: number;
  /** Name of the per-position weight input, [N, 1, H, W]. */
  weight: string;
}

/** weight = base + gain x max over `channels` of sigmoid(teacher `output`), per position. */
export interface WeightRule {
  name: string;
  output: string;
  channels: [number, number];
  base: number;
  gain: number;
}

export interface LossSpec {
  terms: LossTerm[];
  weights: WeightRule[];
}

export interface OutputShape {
  name: string;
  /** [N, C, H, W] */
  dims: readonly number[];
}

const CLASSES = 80;
const GAIN = 10;

/** The input name that carries the teacher's value of a head output. */
export function teacherInput(output: string): string {
  return `teacher:${output}`;
}

/** The losses for a family's head outputs (raw predictor maps, pre-activation). */
export function familyLoss(family: FamilyName, outputs: readonly OutputShape[]): LossSpec {
  const terms: LossTerm[] = [];
  const weights: WeightRule[] = [];
  if (family === 'nanodet') {
    for (const o of outputs) {
      const c = o.dims[1]!;
      const bins = (c - CLASSES) / 4;
      if (!Number.isInteger(bins) || bins < 2) throw new InputError(`distill: NanoDet head output ${o.name} has ${c} channels (expected 80 + 4 x bins)`);
      const weight = `weight:${o.name}`;
      weights.push({ name: weight, output: o.name, channels: [0, CLASSES], base: 1, gain: GAIN });
      terms.push({ output: o.name, channels: [0, CLASSES], kind: 'bce', weight });
      terms.push({ output: o.name, channels: [CLASSES, c], kind: 'dist-kl', bins, weight });
    }
    return { terms, weights };
  }
  if (family === 'yolox') {
    const bySize = new Map<string, Map<number, string>>();
    for (const o of outputs) {
      const key = `${o.dims[2]}x${o.dims[3]}`;
      const level = bySize.get(key) ?? new Map<number, string>();
      level.set(o.dims[1]!, o.name);
      bySize.set(key, level);
    }
    for (const [size, level] of bySize) {
      const cls = level.get(CLASSES);
      const reg = level.get(4);
      const obj = level.get(1);
      if (!cls || !reg || !obj) throw new InputError(`distill: YOLOX head outputs at ${size} are not class (80), box (4) and objectness (1) maps`);
      const objWeight = `weight:${obj}`;
      const posWeight = `weight:${obj}:positive`;
      weights.push({ name: objWeight, output: obj, channels: [0, 1], base: 1, gain: GAIN });
      weights.push({ name: posWeight, output: obj, channels: [0, 1], base: 0, gain: GAIN });
      terms.push({ output: obj, channels: [0, 1], kind: 'bce', weight: objWeight });
      terms.push({ output: cls, channels: [0, CLASSES], kind: 'bce', weight: posWeight });
      terms.push({ output: reg, channels: [0, 4], kind: 'smooth-l1', weight: posWeight });
    }
    return { terms, weights };
  }
  throw new InputError(`distill: no distillation loss for the ${family} family (nanodet or yolox)`);
}

/** The per-position weights of `spec` from the teacher's head outputs for one sample ([1, C, H, W] each). */
export function positionWeights(spec: LossSpec, teacher: Record<string, { data: Float32Array; dims: readonly number[] }>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const rule of spec.weights) {
    const t = teacher[rule.output];
    if (!t) throw new Error(`distill: no teacher output ${rule.output}`);
    const plane = t.dims[2]! * t.dims[3]!;
    const w = new Float32Array(plane);
    for (let p = 0; p < plane; p++) {
      let top = -Infinity;
      for (let c = rule.channels[0]; c < rule.channels[1]; c++) top = Math.max(top, t.data[c * plane + p]!);
      w[p] = rule.base + rule.gain / (1 + Math.exp(-top));
    }
    out[rule.name] = w;
  }
  return out;
}

/**
 * Adds one term's nodes: returns its scalar loss (mean over positions) and the gradient of that loss with
 * respect to the term's channels of the student output.
 */
export function addLossTerm(b: GraphBuilder, term: LossTerm): { loss: string; grad: string } {
  const slice = (t: string): string => b.op('Slice', [t, b.ints([term.channels[0]]), b.ints([term.channels[1]]), b.ints([1])]);
  const x = slice(term.output);
  const z = slice(teacherInput(term.output));
  const w = term.weight;
  // 1 / (N H W): the loss is a mean over positions.
  const inv = b.op('Reciprocal', [b.op('Cast', [b.op('Size', [w])], { to: 1 })]);
  const finish = (perPosition: string, weight: string, rawGrad: string): { loss: string; grad: string } => {
    const loss = b.op('ReduceMean', [b.op('Mul', [perPosition, weight])], { keepdims: 0 });
    const grad = b.op('Mul', [b.op('Mul', [rawGrad, weight]), inv]);
    return { loss, grad };
  };
  switch (term.kind) {
    case 'bce': {
      const p = b.op('Sigmoid', [z]);
      const entropyX = b.op('Sub', [b.op('Softplus', [x]), b.op('Mul', [p, x])]);
      const entropyZ = b.op('Sub', [b.op('Softplus', [z]), b.op('Mul', [p, z])]);
      const perPosition = b.op('ReduceSum', [b.op('Sub', [entropyX, entropyZ]), b.ints([1])], { keepdims: 1 });
      return finish(perPosition, w, b.op('Sub', [b.op('Sigmoid', [x]), p]));
    }
    case 'smooth-l1': {
      const d = b.op('Sub', [x, z]);
      const a = b.op('Abs', [d]);
      const quadratic = b.op('Mul', [b.op('Mul', [d, d]), b.scalar(0.5)]);
      const linear = b.op('Sub', [a, b.scalar(0.5)]);
      const l = b.op('Where', [b.op('Less', [a, b.scalar(1)]), quadratic, linear]);
      const perPosition = b.op('ReduceSum', [l, b.ints([1]), ], { keepdims: 1 });
      return finish(perPosition, w, b.op('Clip', [d, b.scalar(-1), b.scalar(1)]));
    }
    case 'dist-kl': {
      const bins = term.bins!;
      const sides = (term.channels[1] - term.channels[0]) / bins;
      const shape = b.ints([0, sides, bins, -1]);
      const xr = b.op('Reshape', [x, shape]);
      const zr = b.op('Reshape', [z, shape]);
      const q = b.op('Softmax', [zr], { axis: 2 });
      const kl = b.op('Mul', [q, b.op('Sub', [b.op('LogSoftmax', [zr], { axis: 2 }), b.op('LogSoftmax', [xr], { axis: 2 })])]);
      const perPosition = b.op('ReduceSum', [kl, b.ints([1, 2])], { keepdims: 1 }); // [N, 1, 1, HW]
      const wr = b.op('Reshape', [w, b.ints([0, 1, 1, -1])]);
      const raw = b.op('Sub', [b.op('Softmax', [xr], { axis: 2 }), q]);
      const { loss, grad } = finish(perPosition, wr, raw);
      return { loss, grad: b.op('Reshape', [grad, b.op('Shape', [x])]) };
    }
  }
}

/**
 * All terms: the total loss (sum of the terms) and, per student output, the gradient of the total loss
 * (channels no term covers get zero).
 */
export function addLoss(b: GraphBuilder, spec: LossSpec): { loss: string; grads: Map<string, string> } {
  const losses: string[] = [];
  const grads = new Map<string, string>();
  const outputs = [...new Set(spec.terms.map((t) => t.output))];
  for (const output of outputs) {
    const terms = spec.terms.filter((t) => t.output === output).sort((a, c) => a.channels[0] - c.channels[0]);
    const pieces: string[] = [];
    let at = 0;
    for (const term of terms) {
      if (term.channels[0] < at) throw new Error(`distill: loss terms overlap on ${output}`);
      if (term.channels[0] > at) pieces.push(zeros(b, output, at, term.channels[0]));
      const { loss, grad } = addLossTerm(b, term);
      losses.push(loss);
      pieces.push(grad);
      at = term.channels[1];
    }
    // Channels past the last term: zero gradient up to the output's end.
    const rest = b.op('Slice', [output, b.ints([at]), b.ints([2 ** 31 - 1]), b.ints([1])]);
    pieces.push(b.op('Mul', [rest, b.scalar(0)]));
    grads.set(output, pieces.length === 1 ? pieces[0]! : b.op('Concat', pieces, { axis: 1 }));
  }
  const loss = losses.length === 1 ? b.op('Identity', losses) : b.op('Sum', losses);
  return { loss, grads };
}

function zeros(b: GraphBuilder, output: string, from: number, to: number): string {
  return b.op('Mul', [b.op('Slice', [output, b.ints([from]), b.ints([to]), b.ints([1])]), b.scalar(0)]);
}
