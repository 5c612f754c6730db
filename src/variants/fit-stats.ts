// Sufficient statistics for fitting one replaced conv: at sampled output positions, the input patch x (in the
// original conv's geometry, plus a constant 1 for the bias) and the original conv's output y. Every block is
// then fitted from X^T X, X^T Y and Y^T Y alone (accumulated in float64), so the cost of a solve does not grow
// with the number of calibration images.
import type { ConvLayer } from './conv-spec.ts';
import { inChannels, outChannels } from './conv-spec.ts';

export interface FeatureMap {
  data: Float32Array;
  /** [1, C, H, W] */
  dims: readonly number[];
}

/** Which input features a fit needs: the whole receptive field, or only its centre tap (1x1 blocks). */
export type PatchKind = 'full' | 'centre';

export interface ConvStats {
  kind: PatchKind;
  /** Features per sample, the trailing constant 1 included. */
  dim: number;
  cout: number;
  samples: number;
  /** dim x dim, row-major. */
  xtx: Float64Array;
  /** dim x cout. */
  xty: Float64Array;
  yty: number;
}

export function emptyStats(conv: ConvLayer, kind: PatchKind): ConvStats {
  const taps = kind === 'full' ? conv.dims[2] * conv.dims[3] : 1;
  const dim = inChannels(conv) * taps + 1;
  const cout = outChannels(conv);
  return { kind, dim, cout, samples: 0, xtx: new Float64Array(dim * dim), xty: new Float64Array(dim * cout), yty: 0 };
}

/** `count` distinct flat positions in [0, total), from a seeded generator (the same for X and Y). */
export function samplePositions(total: number, count: number, seed: number): Int32Array {
  if (count >= total) return Int32Array.from({ length: total }, (_, i) => i);
  let s = (seed * 2654435761) >>> 0;
  const next = (): number => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(next() % total);
  return Int32Array.from([...chosen].sort((a, b) => a - b));
}

/** The output values at the sampled positions: positions x cout. */
export function gatherOutputs(y: FeatureMap, positions: Int32Array): Float32Array {
  const [, c, h, w] = y.dims as [number, number, number, number];
  const plane = h * w;
  const out = new Float32Array(positions.length * c);
  positions.forEach((p, s) => {
    for (let o = 0; o < c; o++) out[s * c + o] = y.data[o * plane + p]!;
  });
  return out;
}

/**
 * Adds the samples at `positions` (flat indices into the output plane of size outH x outW) to `stats`:
 * x from the input map `x` read through the conv's geometry, y the gathered original outputs; `weights` (per
 * sampled position) make it a weighted least-squares fit.
 */
export function accumulate(stats: ConvStats, conv: ConvLayer, x: FeatureMap, outW: number, positions: Int32Array, y: Float32Array, weights?: Float32Array): void {
  const [, cin, h, w] = x.dims as [number, number, number, number];
  const full = stats.kind === 'full';
  const kh = full ? conv.dims[2] : 1;
  const kw = full ? conv.dims[3] : 1;
  const [dh, dw] = full ? conv.dilations : [1, 1];
  // The centre tap of a kxk window sits half a kernel in from its top-left corner.
  const offH = full ? -conv.pads[0] : -conv.pads[0] + (conv.dilations[0] * (conv.dims[2] - 1)) / 2;
  const offW = full ? -conv.pads[1] : -conv.pads[1] + (conv.dilations[1] * (conv.dims[3] - 1)) / 2;
  const dim = stats.dim;
  const cout = stats.cout;
  const plane = h * w;
  const patch = new Float64Array(dim);
  const nz = new Int32Array(dim);
  for (let s = 0; s < positions.length; s++) {
    const oy = Math.floor(positions[s]! / outW);
    const ox = positions[s]! % outW;
    let f = 0;
    for (let c = 0; c < cin; c++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * conv.strides[0] + offH + ky * dh;
        for (let kx = 0; kx < kw; kx++, f++) {
          const ix = ox * conv.strides[1] + offW + kx * dw;
          patch[f] = iy >= 0 && iy < h && ix >= 0 && ix < w ? x.data[c * plane + iy * w + ix]! : 0;
        }
      }
    }
    patch[f] = 1;
    // Weighted least squares: a sample of weight w counts as sqrt(w) x (patch, y).
    const root = weights ? Math.sqrt(weights[s]!) : 1;
    if (root !== 1) for (let i = 0; i <= f; i++) patch[i]! *= root;
    // Rank-1 update of the upper triangle over the non-zero features (ReLU maps are sparse).
    let n = 0;
    for (let i = 0; i < dim; i++) if (patch[i] !== 0) nz[n++] = i;
    const xtx = stats.xtx;
    for (let a = 0; a < n; a++) {
      const i = nz[a]!;
      const xi = patch[i]!;
      const row = i * dim;
      for (let b = a; b < n; b++) {
        const j = nz[b]!;
        xtx[row + j]! += xi * patch[j]!;
      }
    }
    const ys = s * cout;
    for (let a = 0; a < n; a++) {
      const i = nz[a]!;
      const xi = patch[i]!;
      const row = i * cout;
      for (let o = 0; o < cout; o++) stats.xty[row + o]! += xi * root * y[ys + o]!;
    }
    for (let o = 0; o < cout; o++) stats.yty += root * root * y[ys + o]! * y[ys + o]!;
  }
  // The solver's means divide by `samples`: with weights it is their sum (the effective count).
  stats.samples += weights ? weights.reduce((a, v) => a + v, 0) : positions.length;
}

/** Mirrors the accumulated upper triangle of X^T X into the lower one (call once, before solving). */
export function symmetrize(stats: ConvStats): void {
  const { dim, xtx } = stats;
  for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) xtx[i * dim + j] = xtx[j * dim + i]!;
}
