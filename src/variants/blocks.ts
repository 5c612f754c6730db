// The light blocks that replace one conv, as chains of linear conv layers (no activation inside a block; the
// activations between the original convs stay where they are). Each block keeps the original conv's spatial
// geometry (same output size, same centre of each receptive field). Weights here are data-free: truncated SVD
// projections of the original weights (what the block can represent closest to the original), or He-random.
import { inChannels, outChannels, type ConvLayer } from './conv-spec.ts';
import { matmul, topEigenvectors, transpose } from './linalg.ts';

export const BLOCKS = ['conv1x1', 'dwsep', 'bottleneck', 'lowrank'] as const;
export type BlockName = (typeof BLOCKS)[number];

export interface BlockOptions {
  /** Inner width r of lowrank/bottleneck (clamped to the full rank). */
  rank?: number;
  /** r = round(ratio * min(cin, cout)) when no rank is given. Default 0.5. */
  ratio?: number;
}

/** Why `block` cannot replace `conv`, or null when it can. */
export function whyNotApplicable(block: BlockName, conv: ConvLayer): string | null {
  const [, , kh, kw] = conv.dims;
  switch (block) {
    case 'conv1x1':
      if (kh === 1 && kw === 1) return 'already 1x1';
      if (kh % 2 === 0 || kw % 2 === 0) return 'even kernel has no centre tap';
      if (centrePads(conv).some((p) => p < 0)) return 'padding smaller than half the kernel';
      return null;
    case 'dwsep':
      if (conv.group !== 1) return 'grouped or depthwise conv (already separable)';
      if (kh === 1 && kw === 1) return '1x1 conv (nothing to separate)';
      return null;
    case 'bottleneck':
    case 'lowrank':
      return conv.group !== 1 ? 'grouped or depthwise conv' : null;
  }
}

/** The inner width of a lowrank/bottleneck block for this conv. */
export function blockRank(block: BlockName, conv: ConvLayer, options: BlockOptions): number {
  const cin = inChannels(conv);
  const cout = outChannels(conv);
  const full = block === 'lowrank' ? Math.min(cout, cin * conv.dims[2] * conv.dims[3]) : Math.min(cin, cout);
  const wanted = options.rank ?? Math.round((options.ratio ?? 0.5) * Math.min(cin, cout));
  return Math.max(1, Math.min(full, wanted));
}

/** Pads of the 1x1 conv that reads the centre tap of each original receptive field. */
function centrePads(conv: ConvLayer): [number, number, number, number] {
  const halfH = (conv.dilations[0] * (conv.dims[2] - 1)) / 2;
  const halfW = (conv.dilations[1] * (conv.dims[3] - 1)) / 2;
  const [t, l, b, r] = conv.pads;
  return [t - halfH, l - halfW, b - halfH, r - halfW];
}

/** The block's layers (shapes and geometry), weights zero. */
export function blockShape(block: BlockName, conv: ConvLayer, options: BlockOptions): ConvLayer[] {
  const cin = inChannels(conv);
  const cout = outChannels(conv);
  const [, , kh, kw] = conv.dims;
  const pointwise = (co: number, ci: number): ConvLayer => layer([co, ci, 1, 1], 1, [0, 0, 0, 0], [1, 1], [1, 1]);
  const spatial = (co: number, ci: number, group: number): ConvLayer =>
    layer([co, ci / group, kh, kw], group, conv.pads, conv.strides, conv.dilations);
  switch (block) {
    case 'conv1x1':
      return [layer([cout, conv.dims[1], 1, 1], conv.group, centrePads(conv), conv.strides, [1, 1])];
    case 'dwsep':
      return [spatial(cin, cin, cin), pointwise(cout, cin)];
    case 'lowrank': {
      const r = blockRank(block, conv, options);
      return [spatial(r, cin, 1), pointwise(cout, r)];
    }
    case 'bottleneck': {
      const r = blockRank(block, conv, options);
      return [pointwise(r, cin), spatial(r, r, 1), pointwise(cout, r)];
    }
  }
}

function layer(
  dims: [number, number, number, number],
  group: number,
  pads: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
): ConvLayer {
  return {
    weight: new Float32Array(dims[0] * dims[1] * dims[2] * dims[3]),
    dims,
    bias: new Float32Array(dims[0]),
    group,
    pads: [pads[0]!, pads[1]!, pads[2]!, pads[3]!],
    strides: [strides[0]!, strides[1]!],
    dilations: [dilations[0]!, dilations[1]!],
  };
}

/**
 * Data-free weights: the projection of the original weights onto what the block can represent.
 * conv1x1: sum of the taps (exact on locally constant features); lowrank: truncated SVD; dwsep: a rank-1 SVD
 * per input channel; bottleneck: the top singular subspaces on the output and input-channel sides.
 */
export function initFromWeights(block: BlockName, conv: ConvLayer, options: BlockOptions): ConvLayer[] {
  const layers = blockShape(block, conv, options);
  const cout = outChannels(conv);
  const cin = inChannels(conv);
  const taps = conv.dims[2] * conv.dims[3];
  const w = Float64Array.from(conv.weight); // cout x (cin/group * taps)
  const last = layers[layers.length - 1]!;
  last.bias.set(conv.bias);
  switch (block) {
    case 'conv1x1': {
      const perGroup = conv.dims[1];
      for (let o = 0; o < cout; o++) {
        for (let i = 0; i < perGroup; i++) {
          let s = 0;
          for (let t = 0; t < taps; t++) s += w[(o * perGroup + i) * taps + t]!;
          last.weight[o * perGroup + i] = s;
        }
      }
      break;
    }
    case 'lowrank': {
      const d = cin * taps;
      const r = layers[0]!.dims[0];
      const u = topEigenvectors(matmul(w, transpose(w, cout, d), cout, d, cout), cout, r); // cout x r
      layers[0]!.weight.set(matmul(transpose(u, cout, r), w, r, cout, d));
      last.weight.set(u);
      break;
    }
    case 'dwsep': {
      const [depthwise, pointwise] = layers as [ConvLayer, ConvLayer];
      for (let c = 0; c < cin; c++) {
        const m = new Float64Array(cout * taps); // W[:, c, :]
        for (let o = 0; o < cout; o++) for (let t = 0; t < taps; t++) m[o * taps + t] = w[(o * cin + c) * taps + t]!;
        const v = topEigenvectors(matmul(transpose(m, cout, taps), m, taps, cout, taps), taps, 1);
        const u = matmul(m, v, cout, taps, 1);
        for (let t = 0; t < taps; t++) depthwise.weight[c * taps + t] = v[t]!;
        for (let o = 0; o < cout; o++) pointwise.weight[o * cin + c] = u[o]!;
      }
      break;
    }
    case 'bottleneck': {
      const [reduce, middle, expand] = layers as [ConvLayer, ConvLayer, ConvLayer];
      const r = reduce.dims[0];
      const d = cin * taps;
      const e = topEigenvectors(matmul(w, transpose(w, cout, d), cout, d, cout), cout, r); // cout x r
      // Input-channel side: sum over outputs and taps of W[o,:,t] W[o,:,t]^T.
      const gram = new Float64Array(cin * cin);
      for (let o = 0; o < cout; o++) {
        for (let t = 0; t < taps; t++) {
          for (let i = 0; i < cin; i++) {
            const wi = w[(o * cin + i) * taps + t]!;
            if (wi === 0) continue;
            for (let j = 0; j < cin; j++) gram[i * cin + j]! += wi * w[(o * cin + j) * taps + t]!;
          }
        }
      }
      const rin = topEigenvectors(gram, cin, r); // cin x r
      reduce.weight.set(transpose(rin, cin, r));
      expand.weight.set(e);
      // middle[j, i, t] = sum_{o,c} e[o,j] W[o,c,t] rin[c,i]
      const ew = matmul(transpose(e, cout, r), w, r, cout, d); // r x (cin*taps)
      for (let j = 0; j < r; j++) {
        for (let i = 0; i < r; i++) {
          for (let t = 0; t < taps; t++) {
            let s = 0;
            for (let c = 0; c < cin; c++) s += ew[j * d + c * taps + t]! * rin[c * r + i]!;
            middle.weight[(j * r + i) * taps + t] = s;
          }
        }
      }
      break;
    }
  }
  return layers;
}

/** He-normal weights and zero biases, for users who will retrain the variant. */
export function initRandom(block: BlockName, conv: ConvLayer, options: BlockOptions, seed = 1): ConvLayer[] {
  const layers = blockShape(block, conv, options);
  const random = gaussian(seed);
  for (const l of layers) {
    const std = Math.sqrt(2 / (l.dims[1] * l.dims[2] * l.dims[3]));
    for (let i = 0; i < l.weight.length; i++) l.weight[i] = std * random();
  }
  return layers;
}

/** A seeded standard-normal generator (mulberry32 + Box-Muller), so variants are reproducible. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}
