// Fits a block's weights to reproduce the original conv's output, from the statistics of fit-stats.ts.
// - conv1x1: ridge least squares on the centre tap (per group).
// - lowrank: reduced-rank regression: the full-geometry least-squares weights W* (ridge towards the original
//   weights, so unchanged inputs give back the original), then the top-r principal subspace of W*'s outputs.
// - dwsep: alternating least squares over the depthwise and pointwise factors (each step is exact).
// - bottleneck: input channels reduced to their top-r principal components, the middle kxk conv fitted to the
//   top-r output components of W*, then the expanding 1x1 refitted by least squares on the result.
import type { BlockName } from './blocks.ts';
import { initFromWeights } from './blocks.ts';
import { inChannels, outChannels, type ConvLayer } from './conv-spec.ts';
import type { ConvStats } from './fit-stats.ts';
import { matmul, solveSpd, topEigenvectors, transpose } from './linalg.ts';

/** Relative ridge on the normal equations (times the mean diagonal). */
const RIDGE = 1e-5;
const ALS_ITERATIONS = 4;

export function fitBlock(block: BlockName, conv: ConvLayer, stats: ConvStats, layers: ConvLayer[]): ConvLayer[] {
  if (stats.samples === 0) throw new Error('no calibration samples');
  switch (block) {
    case 'conv1x1':
      return fitCentre(conv, stats, layers);
    case 'lowrank':
      return fitLowRank(conv, stats, layers);
    case 'dwsep':
      return fitDwsep(conv, stats, layers);
    case 'bottleneck':
      return fitBottleneck(conv, stats, layers);
  }
}

/** conv1x1: per group, ridge regression of the outputs on the centre-tap inputs and a constant. */
function fitCentre(conv: ConvLayer, stats: ConvStats, layers: ConvLayer[]): ConvLayer[] {
  const [out] = layers as [ConvLayer];
  const perGroup = conv.dims[1];
  const outPerGroup = outChannels(conv) / conv.group;
  const { dim, cout, xtx, xty } = stats;
  const k = perGroup + 1;
  for (let g = 0; g < conv.group; g++) {
    const features = [...Array.from({ length: perGroup }, (_, i) => g * perGroup + i), dim - 1];
    const a = new Float64Array(k * k);
    const b = new Float64Array(k * outPerGroup);
    features.forEach((fi, i) => {
      features.forEach((fj, j) => (a[i * k + j] = xtx[fi * dim + fj]!));
      for (let o = 0; o < outPerGroup; o++) b[i * outPerGroup + o] = xty[fi * cout + g * outPerGroup + o]!;
    });
    const sol = solveSpd(a, b, k, outPerGroup, RIDGE);
    for (let o = 0; o < outPerGroup; o++) {
      const oc = g * outPerGroup + o;
      for (let i = 0; i < perGroup; i++) out.weight[oc * perGroup + i] = sol[i * outPerGroup + o]!;
      out.bias[oc] = sol[perGroup * outPerGroup + o]!;
    }
  }
  return layers;
}

/**
 * W* (dim x cout, bias as the last row): least squares in the original geometry, regularised towards the
 * original weights: solve (X^T X + l I) D = X^T Y - X^T X W0 and take W0 + D.
 */
export function refitFull(conv: ConvLayer, stats: ConvStats): Float64Array {
  const { dim, cout, xtx, xty } = stats;
  const w0 = new Float64Array(dim * cout);
  const perOut = dim - 1;
  for (let o = 0; o < cout; o++) {
    for (let f = 0; f < perOut; f++) w0[f * cout + o] = conv.weight[o * perOut + f]!;
    w0[perOut * cout + o] = conv.bias[o]!;
  }
  const predicted = matmul(xtx, w0, dim, dim, cout);
  const residual = new Float64Array(dim * cout);
  for (let i = 0; i < residual.length; i++) residual[i] = xty[i]! - predicted[i]!;
  const delta = solveSpd(xtx, residual, dim, cout, RIDGE);
  for (let i = 0; i < w0.length; i++) w0[i]! += delta[i]!;
  return w0;
}

/** The top-r principal output directions of the predictions x.W* (cout x r) and their mean (cout). */
function outputSubspace(t: Float64Array, stats: ConvStats, r: number): { u: Float64Array; mean: Float64Array } {
  const { dim, cout, xtx, samples } = stats;
  const second = matmul(transpose(t, dim, cout), matmul(xtx, t, dim, dim, cout), cout, dim, cout);
  const mean = new Float64Array(cout);
  for (let o = 0; o < cout; o++) {
    let s = 0;
    for (let f = 0; f < dim; f++) s += xtx[f * dim + dim - 1]! * t[f * cout + o]!;
    mean[o] = s / samples;
  }
  for (let i = 0; i < cout; i++) for (let j = 0; j < cout; j++) second[i * cout + j] = second[i * cout + j]! / samples - mean[i]! * mean[j]!;
  return { u: topEigenvectors(second, cout, r), mean };
}

/** (I - U U^T) mean: the part of the mean output the r-dim path cannot carry, given to the last bias. */
function residualMean(u: Float64Array, mean: Float64Array, cout: number, r: number): Float64Array {
  const out = Float64Array.from(mean);
  for (let j = 0; j < r; j++) {
    let proj = 0;
    for (let o = 0; o < cout; o++) proj += u[o * r + j]! * mean[o]!;
    for (let o = 0; o < cout; o++) out[o]! -= u[o * r + j]! * proj;
  }
  return out;
}

function fitLowRank(conv: ConvLayer, stats: ConvStats, layers: ConvLayer[]): ConvLayer[] {
  const [reduce, expand] = layers as [ConvLayer, ConvLayer];
  const { dim, cout } = stats;
  const r = reduce.dims[0];
  const t = refitFull(conv, stats);
  const { u, mean } = outputSubspace(t, stats, r);
  const a = matmul(t, u, dim, cout, r); // dim x r: column j = W* projected on u_j
  for (let j = 0; j < r; j++) {
    for (let f = 0; f < dim - 1; f++) reduce.weight[j * (dim - 1) + f] = a[f * r + j]!;
    reduce.bias[j] = a[(dim - 1) * r + j]!;
  }
  expand.weight.set(u);
  expand.bias.set(residualMean(u, mean, cout, r));
  return layers;
}

function fitDwsep(conv: ConvLayer, stats: ConvStats, layers: ConvLayer[]): ConvLayer[] {
  const { dim, cout, xtx, xty } = stats;
  const cin = inChannels(conv);
  const taps = conv.dims[2] * conv.dims[3];
  const last = dim - 1;
  // Start from the per-channel rank-1 SVD of the refitted weights.
  const t = refitFull(conv, stats);
  const start: ConvLayer = { ...conv, weight: new Float32Array(cout * last) };
  for (let o = 0; o < cout; o++) for (let f = 0; f < last; f++) start.weight[o * last + f] = t[f * cout + o]!;
  const [depthwise, pointwise] = initFromWeights('dwsep', start, {}) as [ConvLayer, ConvLayer];
  const d = Float64Array.from(depthwise.weight);
  let p: Float64Array = new Float64Array(cout * cin);
  let pBias = new Float64Array(cout);
  for (let it = 0; it < ALS_ITERATIONS; it++) {
    // Pointwise step: features z_c = d_c . x_c and a constant.
    const k = cin + 1;
    const zz = new Float64Array(k * k);
    const zy = new Float64Array(k * cout);
    for (let c = 0; c < cin; c++) {
      for (let c2 = 0; c2 < cin; c2++) {
        let s = 0;
        for (let a = 0; a < taps; a++) {
          const row = (c * taps + a) * dim + c2 * taps;
          let inner = 0;
          for (let b = 0; b < taps; b++) inner += xtx[row + b]! * d[c2 * taps + b]!;
          s += d[c * taps + a]! * inner;
        }
        zz[c * k + c2] = s;
      }
      let sc = 0;
      for (let a = 0; a < taps; a++) sc += d[c * taps + a]! * xtx[(c * taps + a) * dim + last]!;
      zz[c * k + cin] = sc;
      zz[cin * k + c] = sc;
      for (let o = 0; o < cout; o++) {
        let s = 0;
        for (let a = 0; a < taps; a++) s += d[c * taps + a]! * xty[(c * taps + a) * cout + o]!;
        zy[c * cout + o] = s;
      }
    }
    zz[cin * k + cin] = xtx[last * dim + last]!;
    for (let o = 0; o < cout; o++) zy[cin * cout + o] = xty[last * cout + o]!;
    const sol = solveSpd(zz, zy, k, cout, RIDGE);
    p = transpose(sol.subarray(0, cin * cout), cin, cout);
    pBias = Float64Array.from(sol.subarray(cin * cout));
    // Depthwise step: G[(c,a),(c2,b)] = (P^T P)[c,c2] X^T X[(c,a),(c2,b)], exact for fixed P.
    const ptp = matmul(transpose(p, cout, cin), p, cin, cout, cin);
    const n = cin * taps;
    const g = new Float64Array(n * n);
    const h = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / taps);
      for (let j = 0; j < n; j++) g[i * n + j] = ptp[c * cin + Math.floor(j / taps)]! * xtx[i * dim + j]!;
      let s = 0;
      for (let o = 0; o < cout; o++) s += p[o * cin + c]! * (xty[i * cout + o]! - xtx[i * dim + last]! * pBias[o]!);
      h[i] = s;
    }
    d.set(solveSpd(g, h, n, 1, RIDGE));
  }
  depthwise.weight.set(d);
  depthwise.bias.fill(0);
  pointwise.weight.set(p);
  pointwise.bias.set(pBias);
  layers[0] = depthwise;
  layers[1] = pointwise;
  // The last depthwise step moved d after the last pointwise solve: refit the pointwise on the final d.
  const toZ = new Float64Array((cin + 1) * dim); // patch features -> depthwise outputs (+ constant)
  for (let c = 0; c < cin; c++) for (let a = 0; a < taps; a++) toZ[c * dim + c * taps + a] = d[c * taps + a]!;
  toZ[cin * dim + last] = 1;
  return refitLast(stats, layers, toZ);
}

/**
 * Refits the last (1x1) layer of a block by ridge least squares, given the linear map `features` (k x dim,
 * last row the constant) from patch features to the last layer's inputs.
 */
function refitLast(stats: ConvStats, layers: ConvLayer[], m: Float64Array): ConvLayer[] {
  const { dim, cout, xtx, xty } = stats;
  const k = m.length / dim;
  const zz = matmul(m, matmul(xtx, transpose(m, k, dim), dim, dim, k), k, dim, k);
  const zy = matmul(m, xty, k, dim, cout);
  const sol = solveSpd(zz, zy, k, cout, RIDGE);
  const lastLayer = layers[layers.length - 1]!;
  const r = k - 1;
  for (let o = 0; o < cout; o++) {
    for (let j = 0; j < r; j++) lastLayer.weight[o * r + j] = sol[j * cout + o]!;
    lastLayer.bias[o] = sol[r * cout + o]!;
  }
  return layers;
}

function fitBottleneck(conv: ConvLayer, stats: ConvStats, layers: ConvLayer[]): ConvLayer[] {
  // The expand layer (layers[2]) is set by refitLast at the end.
  const [reduce, middle] = layers as [ConvLayer, ConvLayer, ConvLayer];
  const { dim, cout, xtx, xty, samples } = stats;
  const cin = inChannels(conv);
  const taps = conv.dims[2] * conv.dims[3];
  const last = dim - 1;
  const r = reduce.dims[0];
  // Input side: principal components of the input channels (covariance summed over the taps).
  const cov = new Float64Array(cin * cin);
  for (let c = 0; c < cin; c++) {
    for (let c2 = 0; c2 < cin; c2++) {
      let s = 0;
      for (let a = 0; a < taps; a++) {
        const i = c * taps + a;
        const j = c2 * taps + a;
        s += xtx[i * dim + j]! / samples - (xtx[i * dim + last]! / samples) * (xtx[j * dim + last]! / samples);
      }
      cov[c * cin + c2] = s;
    }
  }
  const rin = topEigenvectors(cov, cin, r); // cin x r
  reduce.weight.set(transpose(rin, cin, r));
  reduce.bias.fill(0);
  // Patch features -> middle-conv inputs u_(i,a) = sum_c rin[c,i] x_(c,a), plus the constant: k x dim.
  const k = r * taps + 1;
  const toU = new Float64Array(k * dim);
  for (let i = 0; i < r; i++) {
    for (let a = 0; a < taps; a++) for (let c = 0; c < cin; c++) toU[(i * taps + a) * dim + c * taps + a] = rin[c * r + i]!;
  }
  toU[(k - 1) * dim + last] = 1;
  const uu = matmul(toU, matmul(xtx, transpose(toU, k, dim), dim, dim, k), k, dim, k);
  const uy = matmul(toU, xty, k, dim, cout);
  // Output side: the top-r components of the refitted full conv; the middle conv predicts them.
  const t = refitFull(conv, stats);
  const { u } = outputSubspace(t, stats, r);
  const target = matmul(uy, u, k, cout, r);
  const msol = solveSpd(uu, target, k, r, RIDGE); // k x r
  for (let j = 0; j < r; j++) {
    for (let f = 0; f < k - 1; f++) middle.weight[j * (k - 1) + f] = msol[f * r + j]!;
    middle.bias[j] = msol[(k - 1) * r + j]!;
  }
  // Expand: least squares on the middle outputs z = M u (+ constant).
  const toZ = new Float64Array((r + 1) * dim); // patch features -> middle outputs (+ constant)
  toZ.set(matmul(transpose(msol, k, r), toU, r, k, dim));
  toZ[r * dim + last] = 1;
  return refitLast(stats, layers, toZ);
}
